export * from './terminal.ts';
export * from './limits.ts';
