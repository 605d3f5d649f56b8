/**
 * The terminal handoff between the web and labd on one host (docs/architecture.md § Terminal
 * protocol): the web's upgrade request to `WS /v1/terminal` may carry
 * `x-elab-handoff: <web pid>:<fd of the browser's socket>`; labd then copies that socket out of the
 * web (pidfd_getfd), answers the browser's upgrade itself, and tells the web with a 204 carrying
 * `x-elab-handoff: taken`. Any other answer is today's: a 101 to splice, or a refusal.
 */
export const TERMINAL_HANDOFF_HEADER = 'x-elab-handoff';
export const TERMINAL_HANDOFF_TAKEN = 'taken';
/** `<pid>:<fd>`, both decimal. */
export const TERMINAL_HANDOFF_VALUE = /^([1-9]\d{0,9}):(\d{1,9})$/;
