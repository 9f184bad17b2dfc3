#!/bin/sh
# PID 1 inside User-Mode Linux for lvs-lab tests (test/uml/harness.ts, scripts/uml.sh).
# Adapted from the proven recipe in the kernel-sandbox notes (uml-init.sh).
#
# The root file system is the host's "/" through hostfs, READ-ONLY. Everything this script and the
# commands write goes to tmpfs (lost at power-off) or to the one read-write work dir ($UML_WORKDIR).
#
# Kernel command line (values never contain spaces; anything richer goes through work dir files):
#   UML_WORKDIR=/abs/host/dir   required: host dir, mounted read-write via hostfs at the same path
#   UML_RUN_ID=token            optional: unique marker of this boot (lets the host find its processes)
#   UML_DOCKER=1|0              optional: start dockerd (default 1)
#   UML_DOCKER_TMPFS=2G         optional: size of the tmpfs on /var/lib/docker (default 2G)
#   UML_MODULES=a,b,c           optional: modules to modprobe, comma separated
#                               (default overlay,veth,bridge,ip_vs,ip_vs_rr,ip_vs_wrr,ip_vs_sh,ip_vs_lc,ipip;
#                                "none" = load nothing)
#
# Job format, version 1 (written by the host into $UML_WORKDIR before boot):
#   job/manifest   one line per command, run in order:  IDX TIMEOUT MODE LABEL
#                    IDX      3 digits (000, 001, ...), names the files below
#                    TIMEOUT  whole seconds for this command, 0 = none (coreutils `timeout`, rc 124 when hit)
#                    MODE     continue | stop   (stop: a non-zero exit skips every later command)
#                    LABEL    [A-Za-z0-9._:@+-]+ console prefix "[LABEL] " / "[LABEL!] " (stderr); "-" = no prefix
#   job/IDX.sh     POSIX sh script run as `sh job/IDX.sh </dev/null` (does its own cd, env and exec)
#   job/mounts     optional, lines "ro|rw /abs/host/path": host paths hidden by the tmpfs mounts below
#                  (e.g. a checkout under /root or /tmp) re-mounted via hostfs at the same path
# Written by this script:
#   out/IDX.stdout out/IDX.stderr   the command's output (also copied live to the console)
#   out/IDX.result                  "RC START END" (START/END = /proc/uptime seconds), when the command ends
#   out/IDX.skipped                 the command was not run (an earlier "stop" command failed, or no dockerd)
#   dockerd.log                     copy of /run/dockerd.log at the end (if dockerd was started)
#   status                          written LAST, key=value lines: boot= modules_failed= docker=
#                                   (ready|failed|disabled) docker_ready= commands_run= end=
# Then sync and power-off. The host treats a missing status file as a crashed/killed guest.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
unset DOCKER_HOST

mount -t proc proc /proc
read -r T_BOOT _ < /proc/uptime
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm 2>/dev/null
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
# what udev makes on any host: bash's process substitution (`source <(...)`) needs /dev/fd
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
mount -t tmpfs tmpfs /dev/shm
# writable scratch areas (inside UML's RAM, never written to the host)
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
mount -t tmpfs tmpfs /var/log
mount -t tmpfs -o mode=700 tmpfs /root
# docker's own state: fresh in RAM on every boot (the host creates these mount points before boot)
mount -t tmpfs tmpfs /etc/docker
mount -t tmpfs -o "size=${UML_DOCKER_TMPFS:-2G}" tmpfs /var/lib/docker

W=${UML_WORKDIR:-}
if [ -z "$W" ]; then
  echo "UML-INIT: no UML_WORKDIR on the kernel command line" >&2
  echo o > /proc/sysrq-trigger 2>/dev/null; busybox poweroff -f; while :; do sleep 3600; done
fi
# the only host-writable place: the work dir, re-mounted rw via hostfs at the same path
mkdir -p "$W"
mount -t hostfs -o "$W" hostfs "$W"
mkdir -p "$W/out"
# host paths hidden by the tmpfs mounts above (e.g. the checkout lives under /root)
if [ -f "$W/job/mounts" ]; then
  while read -r mode path; do
    [ -n "$path" ] || continue
    mkdir -p "$path" 2>/dev/null
    if [ "$mode" = rw ]; then mount -t hostfs -o "$path" hostfs "$path"
    else mount -r -t hostfs -o "$path" hostfs "$path"; fi || echo "UML-INIT: mount of host $path failed" >&2
  done < "$W/job/mounts"
fi
# the UML kernel's modules at the standard place
KREL=$(uname -r)
mount -t tmpfs tmpfs /usr/lib/modules
mkdir -p "/usr/lib/modules/$KREL"
mount --bind "/usr/lib/uml/modules/$KREL" "/usr/lib/modules/$KREL"
# cgroup2 (for docker)
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
hostname uml
ip link set lo up

uptime_now() { read -r _up _ < /proc/uptime; echo "$_up"; }
echo "UML-INIT: kernel $KREL up at t=${T_BOOT}s run=${UML_RUN_ID:-?} workdir=$W"

MODS=${UML_MODULES:-overlay,veth,bridge,ip_vs,ip_vs_rr,ip_vs_wrr,ip_vs_sh,ip_vs_lc,ipip}
[ "$MODS" = none ] && MODS=
FAILED_MODS=
for m in $(echo "$MODS" | tr ',' ' '); do
  modprobe "$m" || { echo "UML-INIT: modprobe $m FAILED" >&2; FAILED_MODS="$FAILED_MODS${FAILED_MODS:+,}$m"; }
done

DOCKER=disabled
DOCKER_READY=
if [ "${UML_DOCKER:-1}" = 1 ]; then
  # no iptables at all (the UML kernel has no nf_tables for IPv4; IPVS DR/NAT/TUN need none). The default
  # bridge network stays, as on any host: tools such as testcontainers look for it.
  dockerd --storage-driver overlay2 --iptables=false --ip-masq=false \
          --userland-proxy=false --log-level=warn > /run/dockerd.log 2>&1 &
  DPID=$!
  DOCKER=failed
  i=0
  while :; do
    if [ "$(curl -s --unix-socket /var/run/docker.sock http://d/_ping 2>/dev/null)" = OK ]; then
      DOCKER=ready; DOCKER_READY=$(uptime_now); break
    fi
    if ! kill -0 "$DPID" 2>/dev/null; then echo "UML-INIT: dockerd died" >&2; break; fi
    i=$((i+1))
    if [ "$i" -gt 1200 ]; then echo "UML-INIT: dockerd not ready after 120s" >&2; break; fi
    sleep 0.1
  done
  if [ "$DOCKER" = ready ]; then
    echo "UML-INIT: dockerd ready at t=${DOCKER_READY}s"
  else
    echo "UML-INIT: ---- tail of /run/dockerd.log ----" >&2
    tail -n 30 /run/dockerd.log >&2
    echo "UML-INIT: ---- end of dockerd log ----" >&2
  fi
fi

# one command: output to files in the work dir, copied live to the console by `tail -f --pid`
# (tail stops once the command has ended, even if a daemon it started still holds the files open)
run_one() { # idx timeout label
  _o="$W/out/$1.stdout"; _e="$W/out/$1.stderr"
  : > "$_o"; : > "$_e"
  _start=$(uptime_now)
  if [ "$2" -gt 0 ] 2>/dev/null; then
    timeout -k 5 "$2" sh "$W/job/$1.sh" > "$_o" 2> "$_e" < /dev/null &
  else
    sh "$W/job/$1.sh" > "$_o" 2> "$_e" < /dev/null &
  fi
  _cpid=$!
  if [ "$3" = - ]; then
    tail -s 0.2 --pid="$_cpid" -n +1 -f "$_o" &
    _t1=$!
    tail -s 0.2 --pid="$_cpid" -n +1 -f "$_e" &
    _t2=$!
  else
    tail -s 0.2 --pid="$_cpid" -n +1 -f "$_o" | sed -u "s|^|[$3] |" &
    _t1=$!
    tail -s 0.2 --pid="$_cpid" -n +1 -f "$_e" | sed -u "s|^|[$3!] |" &
    _t2=$!
  fi
  wait "$_cpid"; _rc=$?
  _end=$(uptime_now)
  wait "$_t1" "$_t2" 2>/dev/null
  echo "$_rc $_start $_end" > "$W/out/$1.result"
  echo "UML-INIT: command $1 ($3) exit $_rc after t=${_start}..${_end}s"
  return "$_rc"
}

RUN=0
STOPPED=
if [ -f "$W/job/manifest" ]; then
  while read -r idx tmo mode label; do
    [ -n "$idx" ] || continue
    if [ -n "$STOPPED" ]; then echo "$STOPPED" > "$W/out/$idx.skipped"; continue; fi
    if [ "$DOCKER" = failed ]; then echo "dockerd not ready" > "$W/out/$idx.skipped"; continue; fi
    RUN=$((RUN+1))
    run_one "$idx" "${tmo:-0}" "${label:--}"   # commands get </dev/null: they cannot eat the manifest
    rc=$?
    if [ "$rc" -ne 0 ] && [ "$mode" = stop ]; then STOPPED="command $idx failed with exit $rc"; fi
  done < "$W/job/manifest"
else
  echo "UML-INIT: no job manifest in $W/job" >&2
fi

[ -f /run/dockerd.log ] && cp /run/dockerd.log "$W/dockerd.log" 2>/dev/null
T_END=$(uptime_now)
{
  echo "boot=$T_BOOT"
  echo "modules_failed=$FAILED_MODS"
  echo "docker=$DOCKER"
  echo "docker_ready=$DOCKER_READY"
  echo "commands_run=$RUN"
  echo "end=$T_END"
} > "$W/status.tmp" && mv "$W/status.tmp" "$W/status"
echo "UML-INIT: done, $RUN command(s) run, t=${T_END}s; powering off"
sync
# clean power-off: the linux.uml process exits
echo o > /proc/sysrq-trigger 2>/dev/null
busybox poweroff -f
while :; do sleep 3600; done
