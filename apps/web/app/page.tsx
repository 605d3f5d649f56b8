import { redirect } from 'next/navigation';
import { courseOrder } from '@/lib/content/lessons';
import { DEFAULT_LOCALE } from '@/lib/i18n';

export const dynamic = 'force-dynamic';

export default function Home() {
  const first = courseOrder(DEFAULT_LOCALE).slugs[0];
  redirect(first ? `/${DEFAULT_LOCALE}/${first}` : `/${DEFAULT_LOCALE}`);
}
