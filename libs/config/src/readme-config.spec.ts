import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_VARIABLES } from './load-config';

describe('README configuration table', () => {
  it('documents every environment variable the apps read', () => {
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'));
    // Rows may group related variables ("RATE_LIMIT_PERFORMANCE / _TRENDS"): expand the suffixes.
    const documented = new Set<string>();
    for (const [, cell] of section.matchAll(/^\| `([^`]+)` \|/gm)) {
      const [first, ...rest] = cell.split(' / ');
      documented.add(first);
      const stem = first.slice(0, first.lastIndexOf('_'));
      for (const part of rest) documented.add(part.startsWith('_') ? stem + part : part);
    }
    expect(CONFIG_VARIABLES.filter((name) => !documented.has(name))).toEqual([]);
  });
});
