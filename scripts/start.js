#!/usr/bin/env node
// `npm start`: runs the whole system. prestart (scripts/bootstrap.js) has installed dependencies,
// started Kafka/ClickHouse/Redis and built the apps; this starts ingest, query and export-worker,
// seeds demo events, prints where the API listens, and stops the apps cleanly on Ctrl-C.
const { spawn } = require('node:child_process');
const { appCommand, root } = require('./app-command');
const { produceDemoEvents } = require('./demo-events');

const APPS = ['ingest', 'query', 'export-worker'];
const env = { ...process.env };
// Demo only: with no keys configured, the query API accepts this fixed test-mode key for the
// seeded demo account, so the printed curl works on a fresh machine. Never configured in deploy/.
const DEMO_KEY = 'sk_test_demo_only_not_a_secret';
const demoKey = !env.API_KEYS && !env.API_KEYS_FILE ? DEMO_KEY : undefined;
if (demoKey) env.API_KEYS = `${demoKey}:acc_demo`;
// Local development: webhook receivers usually listen on this machine (production keeps the default, off).
env.WEBHOOK_ALLOW_PRIVATE_NETWORKS ??= 'true';
const port = env.PORT || '3000';
const children = [];

function startApp(app) {
  const { command, args, env: runEnv } = appCommand(app);
  const child = spawn(command, args, { cwd: root, env: { ...env, ...runEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `[${app}] `;
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.on('data', (chunk) => {
      const lines = (buffered + chunk).split('\n');
      buffered = lines.pop();
      for (const line of lines) process.stdout.write(prefix + line + '\n');
    });
  }
  child.on('exit', (code, signal) => {
    console.log(`${prefix}exited (${signal ?? code})`);
    if (!stopping) shutdown(1);
  });
  children.push(child);
}

async function waitReady(url, seconds = 90) {
  for (let i = 0; i < seconds * 4; i++) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function seedDemo() {
  if (env.SEED_DEMO === '0') return 0;
  return produceDemoEvents({ brokers: (env.KAFKA_BROKERS || '127.0.0.1:9092').split(','), topic: env.KAFKA_TOPIC || 'voucher-events' });
}

let stopping = false;
function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping apps (Kafka, ClickHouse and Redis keep running: `npm run stack -- down` stops them)');
  for (const child of children) child.kill('SIGTERM');
  Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.on('exit', r))))).then(() => process.exit(code));
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));
// `npm start` runs this under `sh -c`: a SIGTERM to npm (a supervisor, `timeout`) ends npm and the
// shell without reaching this process, which would leave the apps running orphaned. Re-parenting
// is the sign that whoever started us is gone.
const startedBy = process.ppid;
setInterval(() => {
  if (process.ppid !== startedBy) shutdown(0);
}, 1_000).unref();

(async () => {
  APPS.forEach(startApp);
  const ingestReady = await waitReady(`http://127.0.0.1:${env.INGEST_HTTP_PORT || 3001}/health/ready`);
  const queryReady = await waitReady(`http://127.0.0.1:${port}/health/ready`);
  if (!ingestReady || !queryReady) {
    console.error('apps did not become ready; see the logs above');
    return shutdown(1);
  }
  const seeded = await seedDemo();
  console.log(`
Voucher analytics is running.
  Query API     http://127.0.0.1:${port}/v1/analytics   (OpenAPI: /openapi.json, docs: /docs)
  Ingest        http://127.0.0.1:${env.INGEST_HTTP_PORT || 3001}/health/ready   metrics: /metrics
  Demo events   ${seeded} produced to Kafka topic ${env.KAFKA_TOPIC || 'voucher-events'}
${
  demoKey
    ? `  Demo API key  ${demoKey}   (test mode, account acc_demo; demo only: set API_KEYS to use real keys)

  curl -s -H "Authorization: Bearer ${demoKey}" \\
    "http://127.0.0.1:${port}/v1/analytics/vouchers/v_demo_summer/performance?include_details=true"
`
    : '  API keys      from API_KEYS / API_KEYS_FILE'
}
Press Ctrl-C to stop the apps.
`);
})().catch((err) => {
  console.error(err);
  shutdown(1);
});
