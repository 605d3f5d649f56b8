#!/usr/bin/env node
// The lab daemon. TypeScript sources run through tsx, so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/labd.ts');
await main(process.argv.slice(2));
