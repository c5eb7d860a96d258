import { latestMigrationVersion, loadMigrations, splitStatements, viewBackfillSql } from './migrations';

describe('migrations', () => {
  it('knows the highest version it ships (what readiness requires of a database)', () => {
    const versions = loadMigrations('db').map((m) => m.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(latestMigrationVersion()).toBe(versions.at(-1));
    expect(latestMigrationVersion()).toBeGreaterThanOrEqual(2);
  });

  it('splits on statement-ending semicolons and drops comment lines', () => {
    expect(splitStatements('-- note; not a statement\nCREATE TABLE a (x String);\n\nSELECT 1;\n')).toEqual([
      'CREATE TABLE a (x String)',
      'SELECT 1',
    ]);
  });

  it('binds the database and keeps every statement idempotent', () => {
    const [first] = loadMigrations('db_x');
    expect(first.version).toBe(1);
    expect(first.statements.length).toBeGreaterThan(5);
    for (const statement of first.statements) {
      expect(statement).toMatch(/^CREATE (TABLE|MATERIALIZED VIEW) IF NOT EXISTS db_x\./);
      expect(statement).not.toContain('{db}');
    }
  });

  it('refuses a database name that would need quoting', () => {
    expect(() => loadMigrations('x; DROP')).toThrow();
  });

  it('never creates a name that a migration drops (migrate repeats every drop at the end of each run)', () => {
    for (const cluster of [undefined, 'analytics']) {
      const statements = loadMigrations('va', { cluster }).flatMap((m) => m.statements);
      const name = (st: string) => /^(?:CREATE (?:TABLE|MATERIALIZED VIEW|VIEW) IF NOT EXISTS|DROP (?:TABLE|VIEW) IF EXISTS) (\S+)/.exec(st)?.[1];
      const dropped = new Set(statements.filter((st) => st.startsWith('DROP')).map(name));
      const droppedAt = (n: string) => statements.findIndex((st) => st.startsWith('DROP') && name(st) === n);
      expect(dropped.size).toBeGreaterThan(0);
      for (const [i, st] of statements.entries()) {
        const n = name(st);
        if (st.startsWith('CREATE') && n && dropped.has(n)) expect(i).toBeLessThan(droppedAt(n)); // created only before its drop
      }
    }
  });

  it('renders a backfill as the view\'s own SELECT into its target', () => {
    const sql = viewBackfillSql('va', 'voucher_usage_by_time_mv');
    expect(sql.startsWith('INSERT INTO va.voucher_usage_by_time SELECT')).toBe(true);
    expect(sql).toContain('FROM va.voucher_events');
    expect(() => viewBackfillSql('va', 'no_such_mv')).toThrow();
  });
});
