import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import Link from 'next/link';
import '@/components/instructor/instructor.css';
import { CreateClassForm } from '@/components/instructor/create-class-form';
import { LoginForm, SignOut } from '@/components/instructor/login-form';
import { courseLessons } from '@/lib/labd/class-lessons';
import { instructorApi } from '@/lib/labd/classes';
import { LabdError } from '@/lib/labd/client';
import { INSTRUCTOR_COOKIE, instructorTokenFor } from '@/lib/labd/instructor-session';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Instructor' };

/** /instructor: sign in once with the instructor token, then the classes and a form for a new one. */
export default async function InstructorPage() {
  const token = instructorTokenFor({ id: (await cookies()).get(INSTRUCTOR_COOKIE)?.value });
  // No session, or one labd no longer takes (expired, signed out, instructor token rotated): sign in.
  const classes = token
    ? await instructorApi.list(token).catch((e: unknown) => {
        if (e instanceof LabdError && e.status === 401) return null;
        throw e;
      })
    : null;
  if (!token || !classes) {
    return (
      <main className="instructor">
        <h1>Instructor</h1>
        <LoginForm />
      </main>
    );
  }
  return (
    <main className="instructor" data-testid="instructor-home">
      <div className="room-head">
        <h1>Classes</h1>
        <SignOut />
      </div>
      {classes.length === 0 ? (
        <p className="muted">No classes yet.</p>
      ) : (
        <ul className="class-list">
          {classes.map((c) => (
            <li key={c.classId}>
              <Link href={`/instructor/${c.classId}`}>{c.name}</Link>{' '}
              <span className="muted">
                code {c.code} · {c.members ?? 0} learners · {c.endedAt ? `ended ${new Date(c.endedAt).toLocaleString()}` : 'running'}
              </span>
            </li>
          ))}
        </ul>
      )}
      <h2>New class</h2>
      <CreateClassForm lessons={courseLessons()} />
    </main>
  );
}
