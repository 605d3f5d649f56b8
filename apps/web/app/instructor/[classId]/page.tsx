import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import { notFound, redirect } from 'next/navigation';
import '@/components/instructor/instructor.css';
import { Room, type RoomLesson } from '@/components/instructor/room';
import type { Roster } from '@ebpf-lab/lab-spec';
import { labSummary } from '@/lib/content/labs';
import { instructorApi } from '@/lib/labd/classes';
import { LabdError } from '@/lib/labd/client';
import { INSTRUCTOR_COOKIE, instructorTokenFor } from '@/lib/labd/instructor-session';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Class room' };

/** /instructor/<classId>: the live room of one class. */
export default async function RoomPage({ params }: { params: Promise<{ classId: string }> }) {
  const { classId } = await params;
  const token = instructorTokenFor({ id: (await cookies()).get(INSTRUCTOR_COOKIE)?.value });
  if (!token) redirect('/instructor');
  let roster: Roster;
  try {
    roster = await instructorApi.roster(token, classId);
  } catch (e) {
    if (e instanceof LabdError && (e.status === 404 || e.status === 400)) notFound();
    if (e instanceof LabdError && e.status === 401) redirect('/instructor');
    throw e;
  }
  const lessons: RoomLesson[] = await Promise.all(
    roster.class.lessons.map(async (l) => {
      const lab = l.labId ? await labSummary(l.labId) : null;
      return { slug: l.slug, title: l.title, steps: lab?.ok ? lab.lab.steps.map((s) => ({ id: s.id, title: s.title })) : [] };
    }),
  );
  return <Room initial={roster} lessons={lessons} />;
}
