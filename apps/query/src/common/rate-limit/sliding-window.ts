/** Outcome of one rate-limit check, as the response headers report it. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch ms at which the oldest request in the window leaves it (a slot frees up). */
  resetAtMs: number;
  nowMs: number;
}

/**
 * Sliding-window log in one atomic script: drop entries older than the window, count, admit if
 * below the limit. Redis' own clock is used so every replica agrees on "now"; refused requests
 * are not recorded, so a client that keeps retrying is not locked out longer than the window.
 */
export const SLIDING_WINDOW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  count = count + 1
  allowed = 1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = now + window
if oldest[2] then reset = tonumber(oldest[2]) + window end
redis.call('PEXPIRE', KEYS[1], window)
return {allowed, limit - count, reset, now}
`;

/**
 * The same algorithm in process memory: used only while Redis is unreachable, so each replica
 * still enforces the limit on its own traffic (at most replicas × limit in total) instead of none.
 */
export class LocalSlidingWindow {
  private readonly logs = new Map<string, number[]>();

  check(key: string, limit: number, windowMs: number, nowMs = Date.now()): RateLimitDecision {
    const log = (this.logs.get(key) ?? []).filter((t) => t > nowMs - windowMs);
    const allowed = log.length < limit;
    if (allowed) log.push(nowMs);
    if (log.length === 0) this.logs.delete(key);
    else this.logs.set(key, log);
    if (this.logs.size > 100_000) this.sweep(nowMs, windowMs);
    return { allowed, limit, remaining: limit - log.length, resetAtMs: (log[0] ?? nowMs) + windowMs, nowMs };
  }

  private sweep(nowMs: number, windowMs: number): void {
    for (const [key, log] of this.logs) if ((log.at(-1) ?? 0) <= nowMs - windowMs) this.logs.delete(key);
  }
}
