import { sqlIdentifier, sqlNumber, sqlString } from './sql-literal';

describe('sqlString', () => {
  it('escapes quotes, backslashes and control characters', () => {
    expect(sqlString("it's")).toBe("'it\\'s'");
    expect(sqlString('a\\b')).toBe("'a\\\\b'");
    expect(sqlString('a\nb\0c')).toBe("'a\\nb\\0c'");
  });

  it('refuses non-identifiers and non-numbers', () => {
    expect(() => sqlIdentifier('a; DROP TABLE x')).toThrow();
    expect(() => sqlIdentifier('`x`')).toThrow();
    expect(() => sqlNumber(Number.NaN)).toThrow();
    expect(() => sqlNumber(Infinity)).toThrow();
  });
});
