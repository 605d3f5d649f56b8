// The HTTP contract between labd and its clients (the web, tests): one zod schema per request and
// answer. Imports zod and packages/protocol only, so both Node and the browser bundle can load it.
export * from './common.ts';
export * from './display-name.ts';
export * from './learners.ts';
export * from './lab.ts';
export * from './classes.ts';
export * from './endpoints.ts';
export * from './events.ts';
export * from './terminal-handoff.ts';
