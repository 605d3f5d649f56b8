import type { Metadata } from 'next';
import '@/components/instructor/instructor.css';
import { headers } from 'next/headers';
import { classApi } from '@/lib/labd/classes';
import { clientOf } from '@/lib/request-guard';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Join a class' };

type Props = { params: Promise<{ code: string }>; searchParams: Promise<{ error?: string }> };

/** /join/<code>: the class behind the code and a display-name form; a wrong code says so. */
export default async function JoinPage({ params, searchParams }: Props) {
  const { code } = await params;
  const { error } = await searchParams;
  const cls = await classApi.lookup(decodeURIComponent(code), clientOf(await headers())).catch((e: Error) => ({ failed: e.message }));
  if (cls && 'failed' in cls) {
    return <main className="join"><h1>Join a class</h1><p className="join-error" role="alert">The lab server is not reachable: {cls.failed}</p></main>;
  }
  if (!cls) {
    return (
      <main className="join" data-testid="join-unknown">
        <h1>Join a class</h1>
        <p className="join-error" role="alert">No class has the code <code>{code}</code>. Check it with your instructor.</p>
      </main>
    );
  }
  return (
    <main className="join" data-testid="join">
      <h1>Join “{cls.name}”</h1>
      {cls.ended ? (
        <p className="join-error" role="alert">This class has ended.</p>
      ) : (
        <form method="post" action="/join/api/enter" className="join-form">
          <input type="hidden" name="code" value={code} />
          <label>
            Your name, as the instructor will see it
            <input name="name" required maxLength={60} pattern="[^\x00-\x1f\x7f]+" title="Printable text, up to 60 characters" autoFocus autoComplete="nickname" data-testid="join-name" />
          </label>
          <button type="submit" data-testid="join-submit">Join</button>
          {error && <p className="join-error" role="alert">{error}</p>}
        </form>
      )}
      <h2>Lessons</h2>
      <ol>{cls.lessons.map((l) => <li key={l.slug}>{l.title}</li>)}</ol>
    </main>
  );
}
