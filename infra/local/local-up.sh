#!/usr/bin/env bash
# Starts moto's server (S3, DynamoDB, EventBridge, SQS, Secrets Manager) on 127.0.0.1 and waits until it
# answers. Idempotent: a server already running (pid file) is reused. Stop it with local-down.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
state="$root/.local"
port="${MOTO_PORT:-4566}"
mkdir -p "$state"
if [ -f "$state/moto.pid" ] && kill -0 "$(cat "$state/moto.pid")" 2>/dev/null; then
  echo "local-up: moto already running (pid $(cat "$state/moto.pid")) on http://127.0.0.1:$port"
  exit 0
fi
"$root/.venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$state/moto.log" 2>&1 &
echo $! >"$state/moto.pid"
for _ in $(seq 1 100); do
  if "$root/.venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; then
    echo "local-up: moto listening on http://127.0.0.1:$port (pid $(cat "$state/moto.pid"), log .local/moto.log)"
    exit 0
  fi
  sleep 0.2
done
echo "local-up: moto did not answer on port $port; see .local/moto.log" >&2
exit 1
