#!/usr/bin/env bash
# Runs a command with the local stack up: starts moto unless it is already running, points the AWS SDKs
# at it (AWS_ENDPOINT_URL, throw-away credentials), and stops moto afterwards only if it started it here.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
port="${MOTO_PORT:-4566}"
started=""
if ! { [ -f "$root/.local/moto.pid" ] && kill -0 "$(cat "$root/.local/moto.pid")" 2>/dev/null; }; then
  bash "$root/infra/local/local-up.sh"
  started=1
fi
stop() { if [ -n "$started" ]; then bash "$root/infra/local/local-down.sh" >/dev/null; fi; }
trap stop EXIT
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
"$@"
