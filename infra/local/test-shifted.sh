#!/usr/bin/env bash
# Runs the Rust test binaries `make unit` already built once more, with the process clock moved by libfaketime
# (Debian's `faketime`, installed by setup.sh): the test binaries and moto see the shifted time, the build does
# not happen again. A test that passes today and fails here depends on the calendar (docs/reliability.md,
# "Time is an input").
#   test-shifted.sh LABEL SPEC   SPEC as libfaketime reads it: "+7y" (years ahead, running), "@2031-12-31 23:58:00"
#                                (starts there and runs: a year end in UTC is crossed during the run).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
label="$1"
spec="$2"
cd "$root"
mkdir -p .local
# The executables of the build `make unit` made (cargo answers from its fingerprints; nothing is compiled).
cargo test --workspace --lib --bins --tests --no-run --message-format=json 2>/dev/null |
  python3 -c '
import json, os, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("profile", {}).get("test") and m.get("executable"):
        print(os.path.dirname(m["manifest_path"]), m["executable"], sep="\t")
' >.local/test-binaries.tsv
count="$(wc -l <.local/test-binaries.tsv)"
if [ "$count" -eq 0 ]; then
  echo "test-shifted: no test binaries found (run make unit first)" >&2
  exit 1
fi
echo "test-shifted ($label): $count test binaries with the clock at faketime '$spec'"
# -m: the multi-threaded library (the test binaries and moto use threads); -f: SPEC in libfaketime's own
# format. The monotonic clock moves by the same offset, so durations are unchanged (leaving it alone with
# FAKETIME_DONT_FAKE_MONOTONIC breaks sleeps in libfaketime 0.9.10: EINVAL).
faketime -m -f "$spec" date -u +"test-shifted ($label): the tests' clock reads %Y-%m-%dT%H:%M:%SZ"
# with-stack.sh starts moto under the shifted clock too (unless one is already running: `make local-up`).
faketime -m -f "$spec" bash infra/local/with-stack.sh bash -c '
  set -uo pipefail
  failed=0
  while IFS=$'"'"'\t'"'"' read -r dir exe; do
    (cd "$dir" && "$exe" --quiet) || { echo "test-shifted: FAILED: $exe" >&2; failed=1; }
  done <"$0"
  exit "$failed"
' "$root/.local/test-binaries.tsv"
