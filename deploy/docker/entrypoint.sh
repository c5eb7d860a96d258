#!/bin/sh
# Starts one app of the image. The app is the first argument or the APP variable:
#   docker run IMAGE query        or        docker run -e APP=query IMAGE
# `exec` replaces this shell, so the app is tini's direct child and receives SIGTERM itself.
set -eu
app="${1:-${APP:-}}"
case "$app" in
  ingest|query|export-worker) ;;
  *)
    echo "entrypoint: set APP (or pass the app as the first argument) to one of: ingest, query, export-worker (got '${app}')" >&2
    exit 64
    ;;
esac
# node resolves `-r tsconfig-paths/register` from the working directory: run from the image root.
cd "$(dirname "$0")/../.."
exec node -r tsconfig-paths/register "dist/apps/${app}/src/main.js"
