#!/usr/bin/env bash
# Bootstrap sizes (arm64, release, as `make build` / `sam build` make them) and what makes them big:
# `cargo bloat --crates` (PyPI: astral-dev-toolchain-cargo-bloat, installed into .venv here, not in the
# pinned test requirements) on crm-outbound, the largest, built for this machine with symbols kept.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
make build >/dev/null
echo "== arm64 bootstraps (bytes, MB)"
for b in target/lambda/*/bootstrap; do
  f=$(basename "$(dirname "$b")")
  [ "$f" = acebridge-fuzz ] && continue
  stat -c %s "$b" | awk -v f="$f" '{ printf "%-24s %10d %6.1f\n", f, $1, $1 / 1000000 }'
done
.venv/bin/pip install -q astral-dev-toolchain-cargo-bloat==0.12.1
echo "== cargo bloat --crates, crm-outbound (x86_64, release, symbols kept)"
CARGO_PROFILE_RELEASE_STRIP=none PATH="$root/.venv/bin:$PATH" \
  cargo bloat --release -p crm-outbound --bin crm-outbound --crates -n 25
