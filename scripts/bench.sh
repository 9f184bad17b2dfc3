#!/bin/sh
# scripts/bench.sh [all|host|uml] [ROUNDS]: `npm run bench` (after `npm run build`). Prints figures; asserts nothing.
#   host: on this machine's own engine (its cores): systemd and plain containers started one after another
#         and all at once, stop signals, lab's teardown (src/bench/teardown.ts).
#   uml:  in ONE User-Mode Linux boot (a real kernel with IPVS, a dockerd of its own, one CPU): `lab`
#         against the tutorial typed by hand, ROUNDS rounds (default 2), with the ratios (src/bench/up.ts).
# The uml part needs what scripts/setup.sh installs, and root (it re-runs itself with sudo).
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd -P)
part=${1:-all}
rounds=${2:-2}
case $part in all|host|uml) ;; *) echo "usage: scripts/bench.sh [all|host|uml] [ROUNDS]" >&2; exit 2 ;; esac
if [ "$part" != uml ]; then
  echo "== this machine's engine"
  node "$REPO/dist/bench/teardown.js"
fi
[ "$part" != host ] || exit 0
if [ "$(id -u)" -ne 0 ]; then exec sudo -E "$0" uml "$rounds"; fi
echo "== User-Mode Linux (one boot)"
TAR=$(node "$REPO/dist/cli/main.js" images build --offline --tar-only)
exec "$REPO/scripts/uml.sh" --timeout 3000 --rw "$(dirname "$TAR")" -- \
  sh -c "node dist/cli/main.js images import '$TAR' >/dev/null && node dist/bench/up.js $rounds"
