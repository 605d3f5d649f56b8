import type { NextConfig } from 'next';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

const config: NextConfig = {
  // The workspace packages ship TypeScript sources (with .ts import specifiers).
  transpilePackages: ['@ebpf-lab/protocol', '@ebpf-lab/lab-spec', '@ebpf-lab/api'],
  turbopack: { root: resolve(here, '../..') },
  outputFileTracingRoot: resolve(here, '../..'),
  // ELAB_WEB_DIST_DIR (e.g. .next-mine): a build of its own, so a rebuild never pulls chunks from
  // under another web server running on the same tree.
  distDir: process.env.ELAB_WEB_DIST_DIR || '.next',
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
