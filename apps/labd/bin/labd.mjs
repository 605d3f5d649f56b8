#!/usr/bin/env node
// The lab daemon: the built JavaScript when current, else the sources through tsx (bin/launch.mjs).
import { launch } from './launch.mjs';

const { main } = await launch('labd');
await main(process.argv.slice(2));
