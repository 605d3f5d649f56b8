#!/usr/bin/env node
// The `lab` CLI: the built JavaScript when current, else the sources through tsx (bin/launch.mjs).
import { launch } from './launch.mjs';

await launch('cli');
