import type { z } from 'zod';

/** A content file that does not match its schema; the message names the file and each field. */
export class SpecError extends Error {
  constructor(
    readonly file: string,
    readonly issues: { field: string; message: string }[],
  ) {
    super(`${file}: ${issues.map((i) => `${i.field || '(top level)'}: ${i.message}`).join('; ')}`);
    this.name = 'SpecError';
  }

  static fromZod(file: string, error: z.ZodError): SpecError {
    return new SpecError(
      file,
      error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message })),
    );
  }
}
