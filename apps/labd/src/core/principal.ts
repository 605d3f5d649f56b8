/** Who a request acts for, as its token says (http/auth.ts finds it; the core acts on it). */
export type Principal = { kind: 'service' } | { kind: 'instructor'; session?: true } | { kind: 'learner'; learnerId: string; labId: string };
export type LearnerPrincipal = Extract<Principal, { kind: 'learner' }>;
