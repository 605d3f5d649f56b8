export * from './lab-schema.ts';
export * from './errors.ts';
export * from './check-contract.ts';
export * from './load-lab.ts';
export * from './check-helpers.ts';
export * from './lesson-schema.ts';
export * from './class-roster.ts';
export * from './display-name.ts';
