#!/bin/sh
# scripts/bench-up.sh [ROUNDS]: `lab` against the tutorial typed by hand, in ONE User-Mode Linux boot (a
# real kernel with IPVS, a dockerd of its own, one CPU). Prints every figure and the ratios; asserts nothing.
# `npm run bench:up` (after `npm run build`). Needs what scripts/setup.sh installs; root.
set -eu
if [ "$(id -u)" -ne 0 ]; then exec sudo -E "$0" "$@"; fi
REPO=$(cd "$(dirname "$0")/.." && pwd -P)
TAR=$(node "$REPO/dist/cli/main.js" images build --offline --tar-only)
exec "$REPO/scripts/uml.sh" --timeout 3000 --rw "$(dirname "$TAR")" -- \
  sh -c "node dist/cli/main.js images import '$TAR' >/dev/null && node dist/bench/up.js ${1:-2}"
