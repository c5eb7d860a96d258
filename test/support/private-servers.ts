import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './app-process';
import { eventually } from './clickhouse';

const LOCAL = join(__dirname, '../../deploy/local');

/** A server process of a suite's own: its data folder is deleted with it. */
abstract class PrivateServer {
  protected child?: ChildProcess;
  constructor(readonly dir: string) {}

  abstract start(): Promise<void>;

  /** SIGKILL: the harshest stop — no flush, no goodbye to clients. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** First start of a new server: one that never came up is removed, not left running past the suite. */
  protected static async launched<S extends PrivateServer>(server: S): Promise<S> {
    try {
      await server.start();
      return server;
    } catch (err) {
      await server.destroy();
      throw err;
    }
  }
}

/**
 * A ClickHouse server of the suite's own (own ports and data folder), for fault tests that stop
 * and restart it without disturbing the shared one other suites use.
 */
export class PrivateClickHouse extends PrivateServer {
  private constructor(
    dir: string,
    readonly httpPort: number,
  ) {
    super(dir);
  }

  /** `maxConcurrentQueries`: the server's limit on queries at once (the local stack's 200 by default). */
  static async create(options: { maxConcurrentQueries?: number } = {}): Promise<PrivateClickHouse> {
    const dir = mkdtempSync(join(tmpdir(), 'va-ch-'));
    const [httpPort, tcpPort] = [await freePort(), await freePort()];
    for (const sub of ['log', 'data', 'tmp', 'user_files', 'format_schemas']) mkdirSync(join(dir, sub));
    const config = readFileSync(join(LOCAL, 'clickhouse/config.xml'), 'utf8')
      .replaceAll('@DIR@', dir)
      .replaceAll('@HTTP_PORT@', String(httpPort))
      .replaceAll('@TCP_PORT@', String(tcpPort))
      .replace(/<max_concurrent_queries>\d+<\/max_concurrent_queries>/, (tag) =>
        options.maxConcurrentQueries === undefined ? tag : `<max_concurrent_queries>${options.maxConcurrentQueries}</max_concurrent_queries>`,
      );
    writeFileSync(join(dir, 'config.xml'), config);
    writeFileSync(join(dir, 'users.xml'), readFileSync(join(LOCAL, 'clickhouse/users.xml'), 'utf8').replaceAll('@MAX_THREADS@', String(availableParallelism())));
    return PrivateServer.launched(new PrivateClickHouse(dir, httpPort));
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  async start(): Promise<void> {
    this.child = spawn('clickhouse-server', [`--config-file=${join(this.dir, 'config.xml')}`], { stdio: 'ignore' });
    await eventually(async () => (await fetch(`${this.url}/ping`)).ok, (ok) => ok, 30_000);
  }


  async query(sql: string): Promise<string> {
    const res = await fetch(this.url, { method: 'POST', body: sql });
    const text = await res.text();
    if (!res.ok) throw new Error(text);
    return text.trim();
  }
}

/** A redis-server of the suite's own on a given port (nothing on disk). */
export async function startPrivateRedis(port: number): Promise<{ stop: () => Promise<void> }> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  try {
    await eventually(
      () =>
        new Promise<boolean>((resolve) => {
          const probe = spawn('redis-cli', ['-p', String(port), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] });
          let out = '';
          probe.stdout.on('data', (d) => (out += d));
          probe.on('exit', () => resolve(out.trim() === 'PONG'));
        }),
      (ok) => ok,
      15_000,
    );
  } catch (err) {
    await stop(); // never came up: not left running past the suite
    throw err;
  }
  return { stop };
}

/**
 * A single-node KRaft broker of the suite's own (own ports, own log dir), for tests that stop
 * Kafka under a running consumer. Uses the jars the local stack fetched from Maven Central.
 */
export class PrivateKafka extends PrivateServer {
  private constructor(
    dir: string,
    readonly port: number,
    private readonly jars: string,
  ) {
    super(dir);
  }

  static async create(): Promise<PrivateKafka> {
    const jars = execFileSync('bash', [join(LOCAL, 'stack.sh'), 'kafka-jars'], { encoding: 'utf8' }).trim();
    const dir = mkdtempSync(join(tmpdir(), 'va-kafka-'));
    const [port, controllerPort] = [await freePort(), await freePort()];
    mkdirSync(join(dir, 'data'));
    const properties = readFileSync(join(LOCAL, 'kafka/server.properties'), 'utf8')
      .replaceAll('@DIR@', dir)
      .replaceAll('@PORT@', String(port))
      .replaceAll('@CONTROLLER_PORT@', String(controllerPort));
    writeFileSync(join(dir, 'server.properties'), properties);
    const classpath = `${jars}/*`;
    const log4j = `-Dlog4j.configuration=file:${join(LOCAL, 'kafka/log4j.properties')}`;
    const tool = (...args: string[]) =>
      execFileSync('java', [log4j, `-Dkafka.logs.dir=${dir}`, '-cp', classpath, 'kafka.tools.StorageTool', ...args], { encoding: 'utf8' });
    tool('format', '-t', tool('random-uuid').trim(), '-c', join(dir, 'server.properties'));
    return PrivateServer.launched(new PrivateKafka(dir, port, jars));
  }

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn(
      'java',
      ['-Xmx512m', `-Dlog4j.configuration=file:${join(LOCAL, 'kafka/log4j.properties')}`, `-Dkafka.logs.dir=${this.dir}`,
        '-cp', `${this.jars}/*`, 'kafka.Kafka', join(this.dir, 'server.properties')],
      { stdio: 'ignore' },
    );
    await eventually(() => portOpen(this.port), (open) => open, 60_000);
  }

}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
