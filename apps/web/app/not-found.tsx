import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="not-found">
      <h1>404</h1>
      <p>
        No such lesson. <Link href="/">Back to the course</Link>
      </p>
    </main>
  );
}
