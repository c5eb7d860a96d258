import type { Redis } from 'ioredis';
import { DAY_MS } from '@app/time';
import type { ExportRecord, ExportStatus, ScheduleRecord } from './export.types';

/**
 * Export and schedule metadata in Redis, where API replicas and workers all see it. A record is a
 * hash of JSON-encoded fields so that the worker's progress writes and the API's reads never
 * rewrite each other's fields; status transitions are compare-and-set scripts.
 */
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
return 1`;

// ARGV[1] = seconds the record is kept after this change (0: no change to its lifetime),
// ARGV[2] = number of allowed current statuses, then those (JSON-encoded), then field/value pairs.
// Returns -1 missing, 0 refused, 1 applied.
const TRANSITION = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local n = tonumber(ARGV[2])
if n > 0 then
  local current = redis.call('HGET', KEYS[1], 'status')
  local ok = false
  for i = 3, n + 2 do if current == ARGV[i] then ok = true end end
  if not ok then return 0 end
end
for i = n + 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
local ttl = tonumber(ARGV[1])
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
return 1`;

export type TransitionResult = 'applied' | 'refused' | 'missing';

export class ExportStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key = (id: string) => `${this.prefix}export:${id}`;
  private index = (account: string, livemode: boolean) => `${this.prefix}exports:${account}:${livemode ? 'live' : 'test'}`;
  private expiries = () => `${this.prefix}exports:expiries`;
  private scheduleKey = (id: string) => `${this.prefix}export-schedule:${id}`;
  private scheduleIndex = (account: string, livemode: boolean) => `${this.prefix}export-schedules:${account}:${livemode ? 'live' : 'test'}`;

  /** Stores a new export; false when one with that id already exists (idempotent creation). */
  async create(record: ExportRecord): Promise<boolean> {
    const created = await this.redis.eval(
      CREATE,
      2,
      this.key(record.export_id),
      this.index(record.account_id, record.livemode),
      Date.parse(record.created_at),
      record.export_id,
      ...encode(record),
    );
    return created === 1;
  }

  async get(id: string): Promise<ExportRecord | null> {
    const hash = await this.redis.hgetall(this.key(id));
    return Object.keys(hash).length ? (decode(hash) as unknown as ExportRecord) : null;
  }

  /**
   * Applies `patch` if the current status is one of `from` (any status when `from` is empty).
   * `retainDays`: the record then disappears that long after this change (list() drops it from
   * its index). Set in the same script as the status, so a worker dying right after a terminal
   * change cannot leave a failed or expired record without its end.
   */
  async transition(id: string, from: ExportStatus[], patch: Partial<ExportRecord>, options: { retainDays?: number } = {}): Promise<TransitionResult> {
    const ttlSeconds = options.retainDays === undefined ? 0 : Math.max(1, Math.ceil((options.retainDays * DAY_MS) / 1000));
    const result = await this.redis.eval(
      TRANSITION,
      1,
      this.key(id),
      ttlSeconds,
      from.length,
      ...from.map((s) => JSON.stringify(s)),
      ...encode(patch),
    );
    return result === 1 ? 'applied' : result === 0 ? 'refused' : 'missing';
  }

  /** JSON for an integer is the integer's text, so HINCRBY works on the JSON-encoded field. */
  async incrementCompletions(id: string): Promise<number> {
    return this.redis.hincrby(this.key(id), 'completions', 1);
  }

  /**
   * Newest first (created_at, then export id, both descending), from just after `after` (the last
   * item of the previous page). A position, not an offset: exports created meanwhile (schedules
   * do so all the time) never push an item already seen onto the next page.
   */
  async list(
    account: string,
    livemode: boolean,
    after: { createdMs: number; exportId: string } | undefined,
    limit: number,
  ): Promise<{ items: ExportRecord[]; total: number }> {
    const index = this.index(account, livemode);
    const [total, ids] = await Promise.all([this.redis.zcard(index), this.pageIds(index, after, limit)]);
    const records = await Promise.all(ids.map((id) => this.get(id)));
    // Records past their retention are gone: drop their index entries as they are met.
    const gone = ids.filter((_, i) => records[i] === null);
    if (gone.length) await this.redis.zrem(index, ...gone);
    return { items: records.filter((r): r is ExportRecord => r !== null), total: total - gone.length };
  }

  /** The ids of one page, newest first; all reads sent at once. */
  private async pageIds(index: string, after: { createdMs: number; exportId: string } | undefined, limit: number): Promise<string[]> {
    if (!after) return this.redis.zrevrange(index, 0, limit - 1);
    // Members sharing the cursor's millisecond come back in reverse id order: those after the
    // cursor's id first, then the older ones.
    const [ties, older] = await Promise.all([
      this.redis.zrevrangebyscore(index, after.createdMs, after.createdMs),
      this.redis.zrevrangebyscore(index, `(${after.createdMs}`, '-inf', 'LIMIT', 0, limit),
    ]);
    return [...ties.filter((id) => id < after.exportId), ...older].slice(0, limit);
  }

  async scheduleExpiry(id: string, expiresAtMs: number): Promise<void> {
    await this.redis.zadd(this.expiries(), expiresAtMs, id);
  }

  async dueForExpiry(nowMs: number, limit = 500): Promise<string[]> {
    return this.redis.zrangebyscore(this.expiries(), 0, nowMs, 'LIMIT', 0, limit);
  }

  async clearExpiry(id: string): Promise<void> {
    await this.redis.zrem(this.expiries(), id);
  }

  async saveSchedule(schedule: ScheduleRecord): Promise<void> {
    await this.redis
      .multi()
      .set(this.scheduleKey(schedule.schedule_id), JSON.stringify(schedule))
      .zadd(this.scheduleIndex(schedule.account_id, schedule.livemode), Date.parse(schedule.created_at), schedule.schedule_id)
      .exec();
  }

  async getSchedule(id: string): Promise<ScheduleRecord | null> {
    const raw = await this.redis.get(this.scheduleKey(id));
    return raw ? (JSON.parse(raw) as ScheduleRecord) : null;
  }

  async countSchedules(account: string, livemode: boolean): Promise<number> {
    return this.redis.zcard(this.scheduleIndex(account, livemode));
  }

  async listSchedules(account: string, livemode: boolean): Promise<ScheduleRecord[]> {
    const ids = await this.redis.zrevrange(this.scheduleIndex(account, livemode), 0, -1);
    const all = await Promise.all(ids.map((id) => this.getSchedule(id)));
    return all.filter((s): s is ScheduleRecord => s !== null);
  }

  async deleteSchedule(schedule: ScheduleRecord): Promise<void> {
    await this.redis
      .multi()
      .del(this.scheduleKey(schedule.schedule_id))
      .zrem(this.scheduleIndex(schedule.account_id, schedule.livemode), schedule.schedule_id)
      .exec();
  }
}

function encode(values: object): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(values)) if (v !== undefined) out.push(k, JSON.stringify(v));
  return out;
}

function decode(hash: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(hash).map(([k, v]) => [k, JSON.parse(v)]));
}
