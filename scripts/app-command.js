// How every app process is launched from the build output (npm start, tests, benchmarks):
// tsconfig-paths maps the @app/* imports onto dist/libs at run time.
const { join } = require('node:path');

const root = join(__dirname, '..');

/** [command, args, env] to run one app ('ingest' | 'query' | 'export-worker'). */
function appCommand(app) {
  return {
    command: process.execPath,
    args: ['-r', 'tsconfig-paths/register', join(root, 'dist/apps', app, 'src/main.js')],
    env: { TS_NODE_PROJECT: join(root, 'tsconfig.json'), TS_NODE_BASEURL: join(root, 'dist') },
  };
}

module.exports = { appCommand, root };
