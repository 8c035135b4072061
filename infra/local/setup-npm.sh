#!/usr/bin/env bash
# Installs the npm packages a test folder pins (its package-lock.json) into its node_modules, with
# `npm ci`; again only when the lock file changed. Usage: setup-npm.sh tests/browser [tests/contract …]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
for dir in "$@"; do
  web="$root/$dir"
  stamp="$web/node_modules/.lock.sha256"
  want="$(sha256sum "$web/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    (cd "$web" && npm ci --no-audit --no-fund --silent)
    echo "$want" > "$stamp"
  fi
done
