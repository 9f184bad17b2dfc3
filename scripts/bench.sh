#!/bin/sh
# scripts/bench.sh [all|host|uml|scale] [ROUNDS|MAX] [INIT]: `npm run bench` (after `npm run build`).
# Prints figures; asserts nothing.
#   host: on this machine's own engine (its cores): systemd and plain containers started one after another
#         and all at once, stop signals, lab's teardown (src/bench/teardown.ts).
#   uml:  in ONE User-Mode Linux boot (a real kernel with IPVS, a dockerd of its own, one CPU): `lab`
#         against the tutorial typed by hand, ROUNDS rounds (default 2), with the ratios (src/bench/up.ts).
#   scale: in ONE User-Mode Linux boot given 8 GB: 1, 2, 4 ... up to MAX (default 8) rr-basic labs at once,
#         `--init INIT` (default auto: systemd as the scenario says; or none): time to the last verified lab,
#         memory per lab, the longest systemd boot wait (src/bench/scale.ts).
#         Not part of all: it takes about 25 minutes.
# The uml part needs what scripts/setup.sh installs, and root (it re-runs itself with sudo).
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd -P)
part=${1:-all}
rounds=${2:-2}
usage="usage: scripts/bench.sh [all|host|uml|scale] [ROUNDS|MAX] [INIT]"
case $part in all|host|uml|scale) ;; *) echo "$usage" >&2; exit 2 ;; esac
if [ "$part" = all ] || [ "$part" = host ]; then
  echo "== this machine's engine"
  node "$REPO/dist/bench/teardown.js"
fi
[ "$part" != host ] || exit 0
if [ "$part" = scale ]; then
  max=${2:-8}; init=${3:-auto}
  case $max in *[!0-9]*|'') echo "bench.sh: MAX is a number of labs" >&2; exit 2 ;; esac
  case $init in auto|none) ;; *) echo "bench.sh: INIT is auto (the scenario's: systemd) or none" >&2; exit 2 ;; esac
  set -- scale "$max" "$init"; opts="--mem 8G --docker-tmpfs 4G"; run="node dist/bench/scale.js $max $init"
else
  set -- uml "$rounds"; opts=; run="node dist/bench/up.js $rounds"
fi
if [ "$(id -u)" -ne 0 ]; then exec sudo -E "$0" "$@"; fi
echo "== User-Mode Linux (one boot)"
TAR=$(node "$REPO/dist/cli/main.js" images build --offline --tar-only)
# $opts unquoted on purpose: each word one option.
exec "$REPO/scripts/uml.sh" $opts --timeout 3000 --rw "$(dirname "$TAR")" -- \
  sh -c "node dist/cli/main.js images import '$TAR' >/dev/null && $run"
