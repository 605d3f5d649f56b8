import { TooMany, Unavailable } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { Policy } from './policy.ts';
import { RateLimiter } from './rate-limit.ts';

/** New learners per client address: enough for a classroom behind one NAT, not for a flood. */
const NEW_LEARNERS_PER_CLIENT = 30;
const NEW_LEARNER_WINDOW_MS = 10 * 60_000;
/** One per labd: POST /v1/learners and class joins draw on the same allowance. */
export const newLearnerLimiter = () => new RateLimiter(NEW_LEARNERS_PER_CLIENT, NEW_LEARNER_WINDOW_MS);

/**
 * A new learner, within the limits: `client` (the browser's address, as the web saw it) may make
 * NEW_LEARNERS_PER_CLIENT a window, and labd holds at most policy.maxLearners in all.
 */
export function createLearnerFor(store: Store, policy: Policy, limiter: RateLimiter, displayName: string, client: string | undefined) {
  const key = client ?? 'service';
  if (client && limiter.blocked(key)) {
    throw new TooMany('too many new learners from this address', `try again in ${limiter.retryAfterS(key)} s`, {
      reason: 'learner-rate',
      retryAfterS: limiter.retryAfterS(key),
    });
  }
  if (store.learnerCount() >= policy.maxLearners) {
    throw new Unavailable(`this server has reached its limit of ${policy.maxLearners} learners`, 'the operator can raise ELAB_MAX_LEARNERS', {
      reason: 'learner-limit',
    });
  }
  if (client) limiter.hit(key);
  return store.createLearner(displayName);
}
