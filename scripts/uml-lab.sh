#!/bin/sh
# scripts/uml-lab.sh: run lab commands inside User-Mode Linux, a real kernel with IPVS, on a machine whose
# own kernel has none (this project's CI sandbox; some WSL2 and Docker Desktop kernels).
#
#   scripts/uml-lab.sh                                   # = 'up rr-basic' 'teardown rr-basic'
#   scripts/uml-lab.sh 'up rr-basic -v' 'exec lvs -- ipvsadm -Lnc' 'exec lvs -- netstat -natp' 'teardown rr-basic'
#
# Each argument is one lab command line. The guest boots, its own dockerd imports the lab image (built
# once from Debian packages and cached), the commands run in order (stopping at the first failure), and
# the guest powers off: a lab lives only as long as the call, so put everything you want to see in it.
# Needs what scripts/setup.sh installs. Exit status: the first failing command's, else 0.
set -eu
# Root: the cached image tarball is root's (setup.sh builds it), and UML needs its mount points.
if [ "$(id -u)" -ne 0 ]; then exec sudo -E "$0" "$@"; fi
REPO=$(cd "$(dirname "$0")/.." && pwd -P)
[ $# -gt 0 ] || set -- 'up rr-basic' 'teardown rr-basic'
TAR=$(node "$REPO/dist/cli/main.js" images build --offline --tar-only)
script="node dist/cli/main.js images import '$TAR'"
for cmd in "$@"; do script="$script && node dist/cli/main.js $cmd"; done
exec "$REPO/scripts/uml.sh" --rw "$(dirname "$TAR")" -- sh -c "$script"
