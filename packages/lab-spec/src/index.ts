export * from './lab-schema.ts';
export * from './errors.ts';
export * from './load-lab.ts';
export * from './lesson-schema.ts';
export * from './class-roster.ts';
export * from './display-name.ts';
