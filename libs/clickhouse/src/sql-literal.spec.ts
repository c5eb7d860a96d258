import { sqlIdentifier, sqlInt64, sqlNumber, sqlString } from './sql-literal';

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

describe('sqlInt64', () => {
  it('keeps integers past 2^53 exact and refuses anything else', () => {
    expect(sqlInt64('9007199254740993')).toBe('9007199254740993');
    expect(sqlInt64('-42')).toBe('-42');
    expect(() => sqlInt64('9223372036854775808')).toThrow();
    expect(() => sqlInt64('1 OR 1=1')).toThrow();
  });
});
