/**
 * Marks a browser as being in a class, so the lesson pages' banner listens for broadcasts. Not a
 * credential (labd finds the learner's classes from the signed learner cookie), hence readable
 * by the page's script.
 */
import { secureAttr } from './session';

export const CLASS_COOKIE = 'elab_class';
const THIRTY_DAYS_S = 30 * 24 * 3600;

export function classCookieHeader(classId: string): string {
  return `${CLASS_COOKIE}=${encodeURIComponent(classId)}; Path=/; SameSite=Lax; Max-Age=${THIRTY_DAYS_S}${secureAttr()}`;
}
