import { labdJson } from './labd/client';
import { labdEnv, serviceToken } from './labd/env';

const loopback = (host: string) => {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
};

/**
 * labd serves netns labs (a root shell on the host) to one learner without --trust-learners only
 * when it believes everything is on loopback. It cannot see where the web listens, so a web that
 * listens beyond loopback asks labd's policy at start and refuses to run while labd thinks it is
 * loopback-only. Returns why it must not start, or null. ELAB_TRUST_LEARNERS=1 accepts the risk.
 */
export async function exposureProblem(listenHost: string, waitMs = 30_000): Promise<string | null> {
  const { publicOrigins, trustLearners } = labdEnv();
  const publicOne = publicOrigins.find((o) => !loopback(new URL(o).hostname));
  const beyond = !loopback(listenHost) ? `the web listens on ${listenHost}` : publicOne ? `the web is served at ${publicOne}` : null;
  if (!beyond) return null;
  if (trustLearners) {
    console.warn(
      `${'!'.repeat(78)}\nweb: ELAB_TRUST_LEARNERS=1 and ${beyond}: anyone who reaches it may get a netns lab, a root shell on the labd host.\n${'!'.repeat(78)}`,
    );
    return null;
  }
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const p = await labdJson('GET /v1/policy', serviceToken());
      if (p.trustLearners || p.exposed) return null;
      return (
        `${beyond}, beyond loopback, but labd believes it is served on loopback only and would give a netns lab (a root shell on its host) to whoever comes first. ` +
        "Set ELAB_ALLOWED_ORIGINS on labd to the web's public origin(s) (labd then refuses netns labs and learners use the vm driver), or, if every learner may be root on that host, start labd with --trust-learners and the web with ELAB_TRUST_LEARNERS=1."
      );
    } catch (e) {
      if (Date.now() > deadline) return `${beyond}, beyond loopback, and labd's policy could not be read (${(e as Error).message}); start labd first`;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
