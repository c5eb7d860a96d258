import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { APPS, KNOWN_VARIABLES, ROOT, readText } from './support';

// No Docker engine here to build the image: the Dockerfile is parsed and checked instruction by
// instruction, and what it copies is checked against the repository and .dockerignore.

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name: string;
  instructions: Instruction[];
}

function parseDockerfile(source: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = source
    .replace(/\\\r?\n/g, ' ') // continuation lines join their instruction
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword, rest] = /^(\w+)\s+([\s\S]*)$/.exec(line)!;
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [, image, name = ''] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(rest)!;
      stages.push({ from: image.replace(/\$\{(\w+)\}/g, (_m, a: string) => args[a] ?? ''), name, instructions: [] });
    } else if (stages.length === 0 && upper === 'ARG') {
      const [name, value = ''] = rest.split('=');
      args[name] = value;
    } else {
      stages.at(-1)!.instructions.push({ keyword: upper, args: rest });
    }
  }
  return { args, stages };
}

const { stages } = parseDockerfile(readText('deploy/docker/Dockerfile'));
const runtime = stages.at(-1)!;
const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const dockerignore = readText('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

describe('deploy/docker/Dockerfile', () => {
  it('builds in stages from one pinned slim Node 24 (LTS) image', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'prod-deps', 'runtime']);
    for (const stage of stages) expect(stage.from).toMatch(/^node:24\.\d+(\.\d+)?-[a-z]+-slim$/);
  });

  it('compiles with npm ci + tsc and copies the SQL migrations next to the build', () => {
    const build = stages[0];
    expect(all(build, 'RUN').join('\n')).toMatch(/npm ci\b/);
    expect(all(build, 'RUN').join('\n')).toContain('npx tsc -p tsconfig.build.json');
    expect(all(build, 'RUN').join('\n')).toContain('cp -r libs/clickhouse/src/migrations dist/libs/clickhouse/src/migrations');
  });

  it('ships production dependencies only', () => {
    expect(all(stages[1], 'RUN').join('\n')).toMatch(/npm ci --omit=dev/);
    const copies = all(runtime, 'COPY');
    expect(copies).toContainEqual(expect.stringMatching(/^--from=prod-deps .*\/node_modules /));
    expect(copies.some((c) => c.startsWith('--from=build') && c.includes('node_modules'))).toBe(false);
  });

  it('runs as a numeric non-root user, under tini, with NODE_ENV=production and a HEALTHCHECK', () => {
    const user = all(runtime, 'USER').at(-1)!;
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(all(runtime, 'ENV').join(' ')).toMatch(/\bNODE_ENV=production\b/);
    expect(all(runtime, 'HEALTHCHECK')).toHaveLength(1);
    expect(all(runtime, 'HEALTHCHECK')[0]).toContain('healthcheck.js');
    expect(JSON.parse(all(runtime, 'ENTRYPOINT')[0])).toEqual(['/usr/bin/tini', '--', '/app/deploy/docker/entrypoint.sh']);
    expect(all(runtime, 'RUN').join('\n')).toContain('install -y --no-install-recommends tini');
  });

  it('sets only environment variables of the config schema or of the module loader', () => {
    const names = all(runtime, 'ENV')
      .join(' ')
      .split(/\s+/)
      .map((pair) => pair.split('=')[0]);
    // TS_NODE_* configure tsconfig-paths (how @app/* resolves), not the apps.
    expect(names.filter((n) => !KNOWN_VARIABLES.has(n) && !n.startsWith('TS_NODE_'))).toEqual([]);
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    for (const stage of stages) {
      for (const copy of all(stage, 'COPY').filter((c) => !c.startsWith('--from='))) {
        const parts = copy.split(/\s+/).filter((p) => !p.startsWith('--'));
        for (const source of parts.slice(0, -1)) {
          expect([source, existsSync(join(ROOT, source))]).toEqual([source, true]);
          const ignoredBy = dockerignore.find((pattern) => source === pattern || source.startsWith(pattern + '/'));
          expect([source, ignoredBy]).toEqual([source, undefined]);
        }
      }
    }
  });

  it('keeps dependencies, builds, local state and VCS out of the build context', () => {
    for (const pattern of ['node_modules', 'dist', '.local', '.git']) expect(dockerignore).toContain(pattern);
  });

  it('starts exactly the apps of the monorepo, by argument or APP', () => {
    const entrypoint = readText('deploy/docker/entrypoint.sh');
    const appsDir = readdirSync(join(ROOT, 'apps')).sort();
    expect([...APPS].sort()).toEqual(appsDir);
    expect(entrypoint).toContain(`  ${APPS.join('|')}) ;;`);
    expect(entrypoint).toContain('app="${1:-${APP:-}}"');
    // exec: the app replaces the shell, so tini's SIGTERM reaches node itself.
    expect(entrypoint).toMatch(/^exec node -r tsconfig-paths\/register "dist\/apps\/\$\{app\}\/src\/main\.js"$/m);
    expect(entrypoint).toContain('cd "$(dirname "$0")/../.."');
    for (const app of APPS) expect(existsSync(join(ROOT, 'apps', app, 'src/main.ts'))).toBe(true);
  });
});
