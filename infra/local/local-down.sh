#!/usr/bin/env bash
# Stops the moto server started by local-up.sh, by its pid.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
pidfile="$root/.local/moto.pid"
if [ -f "$pidfile" ]; then
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "local-down: stopped moto (pid $pid)"
  fi
  rm -f "$pidfile"
else
  echo "local-down: nothing running"
fi
