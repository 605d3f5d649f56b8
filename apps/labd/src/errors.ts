/**
 * An error a user can act on: what went wrong and what to do. `exitCode` is what the CLI exits
 * with (2 = bad input, 3 = missing capability or tool, 1 = anything else).
 */
export class LabError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'LabError';
  }
}

export const usageError = (message: string, hint?: string) => new LabError(message, hint, 2);
export const missingError = (message: string, hint?: string) => new LabError(message, hint, 3);

/**
 * What kind of refusal a domain error is. Core modules (lab manager, builds, workdir, classes)
 * say only this; http/errors.ts is the one place that turns a kind into an HTTP status.
 */
export type ErrorKind =
  'invalid' | 'unauthorized' | 'forbidden' | 'not-found' | 'conflict' | 'gone' | 'too-large' | 'unmet' | 'too-many' | 'unavailable' | 'no-space';

/** A refusal of the domain: what was wrong (message), what to do (hint), and facts a client acts on (extra). */
export class DomainError extends LabError {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    hint?: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message, hint, kind === 'invalid' ? 2 : kind === 'unmet' ? 3 : 1);
    this.name = 'DomainError';
  }
}

type Extra = Record<string, unknown>;
/** Bad input: `field` names what was wrong, `why` says how, `fix` what to send instead. */
export class Invalid extends DomainError {
  constructor(
    readonly field: string,
    why: string,
    fix?: string,
    extra?: Extra,
  ) {
    super('invalid', why, fix, { field, ...extra });
  }
}
export class Unauthorized extends DomainError {
  constructor(m: string, hint?: string, extra?: Extra) {
    super('unauthorized', m, hint, extra);
  }
}
export class Forbidden extends DomainError {
  constructor(m: string, hint?: string, extra?: Extra) {
    super('forbidden', m, hint, extra);
  }
}
export class NotFound extends DomainError {
  constructor(m: string, hint?: string, extra?: Extra) {
    super('not-found', m, hint, extra);
  }
}
/** The request is fine but the state is not (a lab still starting, a class that has ended). */
export class Conflict extends DomainError {
  constructor(m: string, hint?: string, extra?: Extra) {
    super('conflict', m, hint, extra);
  }
}
export class Gone extends DomainError {
  constructor(m: string, hint?: string, extra?: Extra) {
    super('gone', m, hint, extra);
  }
}
export class TooLarge extends DomainError {
  constructor(m: string, hint?: string, extra?: Extra) {
    super('too-large', m, hint, extra);
  }
}
/** The host lacks what the request needs (a driver's tools); `missing` says what. */
export class Unmet extends DomainError {
  constructor(m: string, hint?: string, extra?: Extra) {
    super('unmet', m, hint, extra);
  }
}
/** A per-client or per-learner limit. */
export class TooMany extends DomainError {
  constructor(m: string, hint?: string, extra?: Extra) {
    super('too-many', m, hint, extra);
  }
}
/** A server-wide cap. */
export class Unavailable extends DomainError {
  constructor(m: string, hint?: string, extra?: Extra) {
    super('unavailable', m, hint, extra);
  }
}
