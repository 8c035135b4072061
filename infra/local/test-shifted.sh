#!/usr/bin/env bash
# Runs the Rust test binaries `make unit` already built once more, with the process clock moved by libfaketime
# (Debian's `faketime`, installed by setup.sh): the test binaries see the shifted time (moto does not: see
# below), and nothing is built again. A test that passes today and fails here depends on the calendar
# (docs/reliability.md, "Time is an input").
#   test-shifted.sh LABEL SPEC   SPEC as libfaketime reads it: "+7y" (years ahead, running), "@2030-12-31 23:59:30"
#                                (each binary starts there and runs: those running over 30 s cross a year end in UTC).
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
# moto stays on the real clock: under libfaketime 0.9.10 a Python timed wait (threading.Event.wait(t), which
# moto's SQS long poll uses) never returns, and with FAKETIME_DONT_FAKE_MONOTONIC time.sleep fails (EINVAL).
# So with-stack.sh starts moto unshifted, and each test binary (with what it spawns) runs under faketime on its
# own: acebridge's own reads of the time are what this run is about. An "@" SPEC so starts every binary there.
# `timeout` runs on the real clock, outside faketime: a binary that hangs fails this run in 10 minutes, with its
# name, instead of holding CI to its limit.
bash infra/local/with-stack.sh bash -c '
  set -uo pipefail
  spec="$1"
  failed=0
  while IFS=$'"'"'\t'"'"' read -r dir exe; do
    (cd "$dir" && timeout --kill-after=10 600 faketime -m -f "$spec" "$exe" --quiet) ||
      { echo "test-shifted: FAILED (exit $?): $exe" >&2; failed=1; }
  done <"$0"
  exit "$failed"
' "$root/.local/test-binaries.tsv" "$spec"
