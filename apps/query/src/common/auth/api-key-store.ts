import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Who is calling: every query is scoped to this account and mode. */
export interface Tenant {
  accountId: string;
  livemode: boolean;
  /** First 16 hex chars of the key's SHA-256: names the key in limits and logs without revealing it. */
  keyId: string;
}

interface StoredKey {
  hash: Buffer;
  tenant: Tenant;
}

const KEY_PATTERN = /^sk_(test|live)_[A-Za-z0-9_]{8,200}$/;
const ACCOUNT_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Parses `key:account_id` pairs (comma- or newline-separated, `#` comments) and rejects bad ones loudly. */
export function parseKeyPairs(text: string, source: string): Array<{ key: string; accountId: string }> {
  const pairs: Array<{ key: string; accountId: string }> = [];
  for (const raw of text.split(/[,\n]/)) {
    const entry = raw.replace(/#.*$/, '').trim();
    if (!entry) continue;
    const colon = entry.indexOf(':');
    const key = entry.slice(0, colon).trim();
    const accountId = entry.slice(colon + 1).trim();
    if (colon < 0 || !KEY_PATTERN.test(key) || !ACCOUNT_PATTERN.test(accountId)) {
      // Never echo the entry: it may be a real key with a typo.
      throw new Error(`${source}: an entry is not a valid "sk_test_…|sk_live_…:account_id" pair`);
    }
    pairs.push({ key, accountId });
  }
  return pairs;
}

/**
 * The configured API keys, held only as SHA-256 hashes. A lookup hashes the presented key and
 * compares it with every stored hash in constant time, so neither the comparison nor the
 * position of a match leaks through timing.
 */
export class ApiKeyStore {
  private readonly keys: StoredKey[];

  constructor(pairs: Array<{ key: string; accountId: string }>) {
    this.keys = pairs.map(({ key, accountId }) => {
      const hash = sha256(key);
      return {
        hash,
        tenant: { accountId, livemode: key.startsWith('sk_live_'), keyId: hash.toString('hex').slice(0, 16) },
      };
    });
  }

  static fromConfig(config: { API_KEYS: string; API_KEYS_FILE: string }): ApiKeyStore {
    const pairs = parseKeyPairs(config.API_KEYS, 'API_KEYS');
    if (config.API_KEYS_FILE) pairs.push(...parseKeyPairs(readFileSync(config.API_KEYS_FILE, 'utf8'), 'API_KEYS_FILE'));
    return new ApiKeyStore(pairs);
  }

  get size(): number {
    return this.keys.length;
  }

  /** The tenant of a presented key, or undefined. */
  authenticate(presented: string): Tenant | undefined {
    if (!KEY_PATTERN.test(presented)) return undefined;
    const hash = sha256(presented);
    let found: Tenant | undefined;
    for (const stored of this.keys) {
      if (timingSafeEqual(stored.hash, hash) && !found) found = stored.tenant;
    }
    return found;
  }
}
