import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import './globals.css';
import { ClassBanner } from '@/components/instructor/class-banner';

export const metadata: Metadata = { title: { default: 'eBPF Lab', template: '%s · eBPF Lab' } };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        {children}
        <ClassBanner />
      </body>
    </html>
  );
}
