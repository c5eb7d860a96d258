import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A download token is `<expiry unix seconds>.<base64url HMAC-SHA256(export id + expiry)>`: it lets
 * a browser or curl fetch one export's file without the API key, until it expires. Binding the
 * export id means a token for one export opens no other.
 */
export function signDownloadToken(exportId: string, expiresAtSec: number, key: string): string {
  const exp = Math.floor(expiresAtSec);
  return `${exp}.${mac(exportId, exp, key)}`;
}

export type TokenCheck = 'valid' | 'invalid' | 'expired';

export function verifyDownloadToken(exportId: string, token: string, key: string, nowSec = Date.now() / 1000): TokenCheck {
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return 'invalid';
  const exp = Number(match[1]);
  const expected = Buffer.from(mac(exportId, exp, key));
  const given = Buffer.from(match[2]);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
  return exp < nowSec ? 'expired' : 'valid';
}

function mac(exportId: string, exp: number, key: string): string {
  return createHmac('sha256', key).update(`${exportId}\n${exp}`).digest('base64url');
}
