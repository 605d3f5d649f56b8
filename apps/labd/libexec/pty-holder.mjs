#!/usr/bin/env node
// A terminal holder (see apps/labd/src/sessions/holder/holder-main.ts). Run through tsx like labd,
// so it shares the recorder and the protocol with labd instead of copies of them.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/sessions/holder/holder-main.ts');
await main();
