import { createHmac, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_SIGNATURE_HEADER = 'x-voucher-signature';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` — the timestamp is signed with the
 * body so a receiver can refuse replays older than its tolerance.
 */
export function signWebhook(body: string, secret: string, timestampSec = Math.floor(Date.now() / 1000)): string {
  return `t=${timestampSec},v1=${hmac(`${timestampSec}.${body}`, secret)}`;
}

export function verifyWebhook(body: string, header: string, secret: string, toleranceSec = 300, nowSec = Date.now() / 1000): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  const t = Number(match[1]);
  if (Math.abs(nowSec - t) > toleranceSec) return false;
  const expected = Buffer.from(hmac(`${t}.${body}`, secret));
  return timingSafeEqual(expected, Buffer.from(match[2]));
}

/**
 * The secret one schedule's webhooks are signed with, handed to its owner as `webhook_secret`.
 * Derived from the deployment's WEBHOOK_SIGNING_SECRET and the schedule id by HMAC (a PRF): a
 * receiver can verify its own schedule's calls and learns nothing that would let it sign another
 * tenant's, nothing extra is stored, and rotating WEBHOOK_SIGNING_SECRET rotates every schedule's.
 */
export function scheduleWebhookSecret(signingSecret: string, scheduleId: string): string {
  return `whsec_${hmac(`schedule-webhook-secret\n${scheduleId}`, signingSecret)}`;
}

function hmac(text: string, secret: string): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}
