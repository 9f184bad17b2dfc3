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
lab() { node "$REPO/dist/cli/main.js" "$@"; }
TAR=$(lab images build --offline --tar-only)
script="node dist/cli/main.js images import '$TAR'"
# Seed 003's cluster (wordpress, nginx-dr) runs an image of its own, and the kernel's NFS server: when an `up`
# plans that image (its --dry-run needs no Docker), build its tarball here (the guest cannot download packages),
# import it too, load nfsd and give the guest room for it.
WP_IMAGE=lvs-lab/wordpress:bookworm
UML_OPTS=
for cmd in "$@"; do
  scenario=${cmd#up }; scenario=${scenario%% *}
  [ -z "$UML_OPTS" ] && [ "$scenario" != "$cmd" ] || continue
  case $(lab up "$scenario" --dry-run 2>/dev/null) in *"$WP_IMAGE"*) ;; *) continue ;; esac
  WP_TAR=$(lab images build --offline --base wordpress --tar-only)
  script="$script && node dist/cli/main.js images import '$WP_TAR' --tag $WP_IMAGE"
  UML_OPTS="--mem 4G --docker-tmpfs 3G --modules overlay,veth,bridge,ip_vs,ip_vs_rr,ip_vs_wrr,ip_vs_sh,ip_vs_lc,ipip,nfsd,nfsv4"
done
for cmd in "$@"; do script="$script && node dist/cli/main.js $cmd"; done
# shellcheck disable=SC2086 # UML_OPTS is a list of options
exec "$REPO/scripts/uml.sh" $UML_OPTS --rw "$(dirname "$TAR")" -- sh -c "$script"
