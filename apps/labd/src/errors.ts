/**
 * An error a user can act on: what went wrong and what to do. `exitCode` is what the CLI exits
 * with (2 = bad input, 3 = missing capability or tool, 1 = anything else).
 */
export class LabError extends Error {
  constructor(message: string, readonly hint?: string, readonly exitCode = 1) {
    super(message);
    this.name = 'LabError';
  }
}

export const usageError = (message: string, hint?: string) => new LabError(message, hint, 2);
export const missingError = (message: string, hint?: string) => new LabError(message, hint, 3);
