import { Forbidden } from '../errors.ts';

/**
 * What labd lets learners do: how many labs and learners there may be, and who may get a lab on
 * a driver that shares the host's kernel. A netns lab shell is root in namespaces of this very
 * kernel, so it is as good as root on the host: labd serves such labs only to one trusted user on
 * a loopback-only setup, unless the operator says with --trust-learners that every learner is
 * trusted with the host.
 */
export interface Policy {
  trustLearners: boolean;
  maxLabs: number;
  maxLabsPerLearner: number;
  maxLearners: number;
  learnerSessionMs: number;
  /** Why this labd counts as reachable beyond loopback (null when it does not). */
  exposed: string | null;
}

/** Drivers whose labs run on the host's own kernel, with root in it. */
export const HOST_KERNEL_DRIVERS: ReadonlySet<string> = new Set(['netns']);

/** Permissive defaults for code that builds a LabManager by hand (unit tests): one trusted user. */
export const OPEN_POLICY: Policy = {
  trustLearners: true,
  maxLabs: 1000,
  maxLabsPerLearner: 20,
  maxLearners: 1_000_000,
  learnerSessionMs: 30 * 86_400_000,
  exposed: null,
};

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h.endsWith('.localhost');
}

/** What of labd's configuration the policy reads (server/env.ts has the rest; core does not import it). */
export interface PolicyConfig {
  host: string;
  allowedOrigins: string[];
  trustLearners: boolean;
  maxLabs: number;
  maxLabsPerLearner: number;
  maxLearners: number;
  learnerSessionDays: number;
}

export function policyOf(cfg: PolicyConfig): Policy {
  const publicOrigins = cfg.allowedOrigins.filter((o) => !isLoopbackHost(new URL(o).hostname));
  const exposed = !isLoopbackHost(cfg.host)
    ? `labd listens on ${cfg.host}, beyond loopback`
    : publicOrigins.length
      ? `the web is served beyond loopback (ELAB_ALLOWED_ORIGINS has ${publicOrigins.join(', ')})`
      : null;
  return {
    trustLearners: cfg.trustLearners,
    maxLabs: cfg.maxLabs,
    maxLabsPerLearner: cfg.maxLabsPerLearner,
    maxLearners: cfg.maxLearners,
    learnerSessionMs: cfg.learnerSessionDays * 86_400_000,
    exposed,
  };
}

/** The loud line labd prints at start when the operator trusts learners with the host. */
export function trustWarning(p: Policy): string | null {
  if (!p.trustLearners) return null;
  const bar = '!'.repeat(78);
  return (
    `${bar}\nlabd: --trust-learners: netns labs are served to every learner${p.exposed ? ` (${p.exposed})` : ''}.\n` +
    'labd: a netns lab shell is root on THIS host: every learner can read, change or stop anything here.\n' +
    'labd: use it only when you trust every learner with this machine; otherwise use the vm driver.\n' +
    `${bar}\n`
  );
}

/** The refusal for a host-kernel driver, naming why and the two ways forward. */
export function isolationRefusal(driver: string, why: string): Forbidden {
  return new Forbidden(
    `the ${driver} driver shares this host's kernel and root with the lab shell, so labd serves it only to one trusted user on loopback; ${why}`,
    'use the vm driver (POST /v1/lab {"driver":"vm"}), or, if every learner may be root on this host, start labd with --trust-learners (ELAB_TRUST_LEARNERS=1)',
    { reason: 'isolation', driver },
  );
}
