import { splitRange, stateSource } from './stats-sql';

const t = (iso: string) => Date.parse(iso);

describe('splitRange', () => {
  it('aligned periods come from the rollup alone', () => {
    expect(splitRange({ startMs: t('2024-03-01T00:00:00Z'), endMs: t('2024-03-02T00:00:00Z') })).toEqual({
      rollup: { startMs: t('2024-03-01T00:00:00Z'), endMs: t('2024-03-02T00:00:00Z') },
      raw: [],
    });
  });

  it('unaligned edges are read raw, to the millisecond', () => {
    expect(splitRange({ startMs: t('2024-03-01T00:07:00.500Z'), endMs: t('2024-03-01T10:00:00.001Z') })).toEqual({
      rollup: { startMs: t('2024-03-01T00:15:00Z'), endMs: t('2024-03-01T10:00:00Z') },
      raw: [
        { startMs: t('2024-03-01T00:07:00.500Z'), endMs: t('2024-03-01T00:15:00Z') },
        { startMs: t('2024-03-01T10:00:00Z'), endMs: t('2024-03-01T10:00:00.001Z') },
      ],
    });
  });

  it('a period inside one bucket is read raw entirely', () => {
    const r = { startMs: t('2024-03-01T00:01:00Z'), endMs: t('2024-03-01T00:14:00Z') };
    expect(splitRange(r)).toEqual({ raw: [r] });
  });
});

describe('stateSource', () => {
  it('escapes every value that reaches SQL', () => {
    const sql = stateSource('db', { accountId: "a'; DROP TABLE x --", livemode: true, voucherId: 'v\\\'', currency: 'USD' }, { startMs: 0, endMs: 900_000 }, { keys: [] });
    expect(sql).toContain("account_id = 'a\\'; DROP TABLE x --'");
    expect(sql).toContain("voucher_id = 'v\\\\\\''");
    expect(() => stateSource('db; DROP', { accountId: 'a', livemode: false }, { startMs: 0, endMs: 1 }, { keys: [] })).toThrow();
  });
});
