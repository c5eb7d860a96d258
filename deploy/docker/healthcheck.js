// Docker HEALTHCHECK for the one-image-three-apps container: asks the running app's
// /health/ready. The app comes from APP; when it was chosen by argument instead (APP unset),
// the one port that answers is the app's, since a container runs exactly one app.
const PORTS = {
  query: process.env.PORT || '3000',
  ingest: process.env.INGEST_HTTP_PORT || '3001',
  'export-worker': process.env.EXPORT_WORKER_HTTP_PORT || '3002',
};
const ports = process.env.APP ? [PORTS[process.env.APP]].filter(Boolean) : Object.values(PORTS);

async function ready(port) {
  const res = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(2500) });
  if (!res.ok) throw new Error(`port ${port}: HTTP ${res.status}`);
}

Promise.any(ports.map(ready)).then(
  () => process.exit(0),
  (err) => {
    console.error(`unhealthy: ${err.errors ? err.errors.map(String).join('; ') : err}`);
    process.exit(1);
  },
);
