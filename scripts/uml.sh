#!/bin/sh
# scripts/uml.sh: run ONE command inside a User-Mode Linux guest: a real Linux kernel with IPVS and a
# dockerd of its own, on a machine whose kernel has no IPVS. Exits with the command's exit status.
#
#   scripts/uml.sh [--mem 3G] [--docker-tmpfs 2G] [--modules a,b,...] [--no-docker] [--timeout SECONDS]
#                  [--cwd DIR] [--env NAME=VALUE]... -- CMD [ARGS...]
#
#   e.g.  npm run build && scripts/uml.sh -- node dist/cli/main.js up rr-basic
#
# Needs every program in scripts/host-programs (scripts/setup.sh installs them)
# and root the first time (it creates the mount points /usr/lib/modules /var/lib/docker /etc/docker).
#
# Things to know:
# - Each call boots a fresh guest (a few seconds, dockerd ready after ~6-9 s) and powers it off after the
#   command. Docker images and containers inside the guest live on tmpfs and are GONE at each boot: the
#   guest's dockerd is not the host's. If the command needs an image, load it in the same command, e.g.
#     scripts/uml.sh -- sh -c 'docker load -i /path/img.tar && node dist/cli/main.js up rr-basic'
#     scripts/uml.sh -- sh -c 'docker import images/x.tar lab/x:latest && cmd2 && cmd3'
# - The command runs as root in the guest, from the repository root (or --cwd), with
#   PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root, DOCKER_HOST unset,
#   stdin /dev/null; other variables only via --env.
# - The host's "/" is the guest's root, READ-ONLY; /tmp /run /root /var/tmp /var/log are empty tmpfs in
#   the guest. Write only there (lost at power-off) or to a --rw host dir.
# - stdout and stderr of the command, kernel messages and "UML-INIT:" progress lines all arrive on this
#   script's stdout (the guest console), live.
# - The guest is one CPU: everything is slower than on the host. It runs pinned to a host CPU of its own
#   (scripts/uml-cpu.sh says why: 4-5x faster on a VM).
# - Ctrl-C / SIGTERM stop the guest (the whole linux.uml process group) and remove the work dir.
#
# Extra option: --rw DIR  mounts the host DIR read-write at the same path in the guest (repeatable).
# The job format shared with test/uml/harness.ts is documented at the top of scripts/uml-guest-init.sh.
set -u

REPO=$(cd "$(dirname "$0")/.." && pwd -P)
INIT_SRC="$REPO/scripts/uml-guest-init.sh"
PROGRAMS="$REPO/scripts/host-programs"
UML=/usr/bin/linux.uml
GUEST_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

MEM=3G; DOCKER_TMPFS=2G; MODULES=; DOCKER=1; TIMEOUT=0; CWD=$REPO
ENVS=; RWS=

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }   # POSIX sh single-quoting

while [ $# -gt 0 ]; do
  case $1 in
    --mem) MEM=${2:?--mem needs a value}; shift 2 ;;
    --docker-tmpfs) DOCKER_TMPFS=${2:?}; shift 2 ;;
    --modules) MODULES=${2:?}; shift 2 ;;
    --no-docker) DOCKER=0; shift ;;
    --timeout) TIMEOUT=${2:?}; shift 2 ;;
    --cwd) CWD=$(cd "${2:?}" && pwd -P) || exit 2; shift 2 ;;
    --env) case ${2:-} in [A-Za-z_]*=*) ENVS="$ENVS $(q "$2")" ;; *) echo "uml.sh: --env NAME=VALUE" >&2; exit 2 ;; esac; shift 2 ;;
    --rw) d=$(cd "${2:?}" && pwd -P) || exit 2; RWS="$RWS
$d"; shift 2 ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) echo "uml.sh: unknown option $1 (the command goes after --)" >&2; usage ;;
  esac
done
[ $# -gt 0 ] || usage
case $MEM in *[!0-9KMG]*|'') echo "uml.sh: bad --mem $MEM" >&2; exit 2 ;; esac
case $DOCKER_TMPFS in *[!0-9kmgKMG%]*|'') echo "uml.sh: bad --docker-tmpfs" >&2; exit 2 ;; esac
case $MODULES in *[!A-Za-z0-9_,-]*) echo "uml.sh: bad --modules" >&2; exit 2 ;; esac
case $TIMEOUT in *[!0-9]*|'') echo "uml.sh: --timeout takes whole seconds" >&2; exit 2 ;; esac

missing=
[ -d /usr/lib/uml/modules ] || missing="$missing /usr/lib/uml/modules(user-mode-linux)"
while read -r program package _; do
  case $program in ''|'#'*) continue ;; esac
  [ "$DOCKER" = 0 ] && [ "$program" = dockerd ] && continue
  PATH=$GUEST_PATH command -v "$program" >/dev/null 2>&1 || missing="$missing $program($package)"
done < "$PROGRAMS"
[ -z "$missing" ] || { echo "uml.sh: missing:$missing; install them: scripts/setup.sh, or apt-get install the packages named" >&2; exit 125; }
mkdir -p /usr/lib/modules /var/lib/docker /etc/docker || { echo "uml.sh: cannot create the mount points (run as root once)" >&2; exit 125; }

W=$(mktemp -d "$(cd "${TMPDIR:-/tmp}" && pwd -P)/lvs-lab-uml-XXXXXX") || exit 125
case $W in *[!A-Za-z0-9._/+:@-]*) echo "uml.sh: work dir $W has characters the kernel command line cannot carry" >&2; rm -rf "$W"; exit 125 ;; esac
UPID=
cleanup() {
  if [ -n "$UPID" ]; then
    kill -TERM "$UPID" 2>/dev/null          # UML kills and reaps its helpers, then exits
    i=0
    while [ $i -lt 30 ]; do
      st=$(sed 's/.*) //; s/ .*//' "/proc/$UPID/stat" 2>/dev/null)
      case $st in ''|Z|X) break ;; esac
      sleep 0.1; i=$((i+1))
    done
    kill -KILL -- "-$UPID" 2>/dev/null      # backstop: the whole process group
    UPID=
  fi
  rm -rf "$W"
}
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 130' INT
trap 'cleanup; trap - EXIT; exit 143' TERM
trap 'cleanup; trap - EXIT; exit 129' HUP

mkdir -p "$W/job" "$W/out"
masked() { case $1 in /tmp|/tmp/*|/run|/run/*|/var/run|/var/run/*|/var/tmp|/var/tmp/*|/var/log|/var/log/*|/root|/root/*|/dev/shm|/dev/shm/*) return 0 ;; esac; return 1; }
{
  masked "$REPO" && echo "ro $REPO"
  [ "$CWD" != "$REPO" ] && masked "$CWD" && echo "ro $CWD"
  n=$(PATH=$GUEST_PATH:$PATH command -v node 2>/dev/null) && n=$(readlink -f "$n") && n=$(dirname "$(dirname "$n")") && masked "$n" && echo "ro $n"
  printf '%s\n' "$RWS" | while read -r d; do [ -n "$d" ] && echo "rw $d"; done
} > "$W/job/mounts"
cmd=; for a in "$@"; do cmd="$cmd $(q "$a")"; done
{
  echo "cd $(q "$CWD") || exit 126"
  echo "exec env -i -- PATH=$GUEST_PATH HOME=/root USER=root LOGNAME=root TERM=dumb$ENVS$cmd"
} > "$W/job/000.sh"
echo "000 $TIMEOUT continue -" > "$W/job/manifest"
cp "$INIT_SRC" "$W/guest-init.sh" && chmod 755 "$W/guest-init.sh" || exit 125

SETSID=; command -v setsid >/dev/null 2>&1 && SETSID=setsid   # (linux.uml also calls setsid() itself)
TMPDIR=/dev/shm $SETSID "$REPO/scripts/uml-cpu.sh" "$UML" mem="$MEM" root=/dev/root rootfstype=hostfs rootflags=/ ro \
  init="$W/guest-init.sh" UML_WORKDIR="$W" UML_RUN_ID="umlsh-$$" UML_DOCKER=$DOCKER \
  UML_DOCKER_TMPFS="$DOCKER_TMPFS" UML_MODULES="${MODULES:-overlay,veth,bridge,ip_vs,ip_vs_rr,ip_vs_wrr,ip_vs_sh,ip_vs_lc,ipip}" \
  quiet con=null con0=null,fd:1 ubd0=/dev/null </dev/null &
UPID=$!
wait "$UPID"; urc=$?
UPID_DONE=$UPID; UPID=
kill -KILL -- "-$UPID_DONE" 2>/dev/null   # nothing of that boot may remain

if [ ! -f "$W/status" ]; then
  echo "uml.sh: the guest ended without its status file (linux.uml exit $urc): crashed, failed to boot or killed" >&2
  exit 125
fi
if [ -f "$W/out/000.result" ]; then
  read -r rc _ < "$W/out/000.result"
  exit "$rc"
fi
echo "uml.sh: the command did not run: $(cat "$W/out/000.skipped" 2>/dev/null || echo '?')" >&2
[ -f "$W/dockerd.log" ] && { echo "--- dockerd.log tail ---" >&2; tail -n 20 "$W/dockerd.log" >&2; }
exit 125
