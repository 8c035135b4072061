#!/usr/bin/env bash
# What the console's browser tests need beyond the venv (tests/browser/console_flows.py):
#   Chromium      Debian's packages (chromium), /usr/bin/chromium; Playwright drives it, downloads none
#   axe-core      npm, pinned in tests/browser/package-lock.json, into tests/browser/node_modules
# Idempotent and quick when already done.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
if ! [ -x /usr/bin/chromium ]; then
  echo "setup-browser: installing Debian's chromium for the console's browser tests"
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
bash "$root/infra/local/setup-npm.sh" tests/browser
