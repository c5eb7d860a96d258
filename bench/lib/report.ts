import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { percentile } from './percentile';

const FILE = join(__dirname, '../../BENCHMARKS.md');

/**
 * A fixed single-core workload timed on the spot (median of 5): these shared VMs run at very
 * different speeds from one hour to the next, and this is what lets two runs be compared.
 */
export function cpuReferenceMs(): number {
  const data = Buffer.alloc(16 * 2 ** 20, 7);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    createHash('sha256').update(data).digest();
    times.push(performance.now() - started);
  }
  return percentile(times, 50);
}

/** One line naming the machine a result was measured on, and how fast it ran at the time. */
export function machineLine(): string {
  const cpu = cpus();
  return (
    `${cpu.length} cores (${cpu[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}, Node ${process.version}; ` +
    `CPU reference ${cpuReferenceMs().toFixed(1)} ms (SHA-256 of 16 MiB on one core, median of 5; lower is faster)`
  );
}

/** Renders rows as a Markdown table (first row = header). */
export function markdownTable(rows: Array<Array<string | number>>): string {
  const [head, ...body] = rows.map((r) => r.map(String));
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/**
 * Replaces this benchmark's section of BENCHMARKS.md (between its markers), leaving the
 * other benchmarks' sections as they are, and prints the section.
 */
export function writeBenchmarkSection(name: string, title: string, body: string): void {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const section = `${start}\n## ${title}\n\nMeasured ${new Date().toISOString()} on ${machineLine()}.\n\n${body.trim()}\n${end}`;
  let text = existsSync(FILE)
    ? readFileSync(FILE, 'utf8')
    : '# Benchmarks\n\nWritten by the `npm run bench:*` scripts; each section is replaced by its own script.\n';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  text = i >= 0 && j > i ? text.slice(0, i) + section + text.slice(j + end.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(FILE, text);
  console.log(`\n${section}\n`);
}
