export * from './terminal.ts';
