#!/usr/bin/env bash
# Installs everything the local stack, the tests and the build need, into the project only:
#   .venv/            Python venv with moto[server], cargo-lambda (+ zig), aws-sam-cli, cfn-lint (pinned)
#   rust target       aarch64-unknown-linux-gnu, with --arm64 (for `cargo lambda build --arm64`; not
#                     needed by the tests, so `make test` does not download it)
# Idempotent and fast when already done: the venv is rebuilt only when requirements.txt changes.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.venv"
req="$root/infra/local/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"

if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  # The venv and a test build need room: warn plainly first, so that a later ENOSPC from pip or the linker
  # is not a mystery. (Only a warning: the figure is a measurement, not a law.)
  need_kb=$((4 * 1024 * 1024))
  free_kb="$(df -Pk "$root" | awk 'NR==2 {print $4}')"
  if [ -n "$free_kb" ] && [ "$free_kb" -lt "$need_kb" ]; then
    echo "setup: WARNING: only $((free_kb / 1024)) MB free on the disk holding $root;" \
      "a fresh clone with its venv and test build took 3.2 GB (docs/performance.md)" >&2
  fi
  echo "setup: creating $venv (pinned: $(grep -v '^#' "$req" | tr '\n' ' '))"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-cache-dir -r "$req"
  echo "$want" > "$stamp"
else
  echo "setup: $venv is up to date"
fi

# libfaketime (Debian's `faketime`): `make test` runs the test binaries again with the clock moved
# (infra/local/test-shifted.sh). From Debian's packages; nothing downloaded otherwise.
if ! command -v faketime >/dev/null 2>&1; then
  echo "setup: installing faketime (Debian's libfaketime) for the shifted-clock test runs"
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq faketime >/dev/null
fi

if [ "${1:-}" = "--arm64" ] && command -v rustup >/dev/null 2>&1; then
  if ! rustup target list --installed | grep -q '^aarch64-unknown-linux-gnu$'; then
    rustup target add aarch64-unknown-linux-gnu
  fi
fi
