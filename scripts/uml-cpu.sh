#!/bin/sh
# scripts/uml-cpu.sh CMD [ARGS...]: runs CMD (linux.uml, by uml.sh and test/uml/harness.ts) pinned to a CPU
# of its own for its whole life; it execs, so CMD keeps this process's id and process group.
#
# Why: UML runs each guest process as a host process it switches to and back (ptrace). Spread over several
# CPUs, every switch waits for an idle CPU to wake up; on one CPU it does not. Measured on a 2-CPU VM, the
# same boot command: `lab --version` in the guest took 1.3-1.7 s unpinned, 0.31-0.40 s pinned.
#
# A CPU is taken with a lock on its /sys directory, which CMD and every process it starts inherit: it is
# released when the last of them exits, and two guests at once get two CPUs (on one /sys: machines, or
# containers with a /sys each, sharing CPUs do not see each other's locks). With every CPU this process may
# use taken, or no taskset, CMD runs unpinned.
set -u
[ $# -gt 0 ] || { echo "usage: scripts/uml-cpu.sh CMD [ARGS...]" >&2; exit 2; }
command -v taskset >/dev/null 2>&1 && command -v flock >/dev/null 2>&1 || exec "$@"

allowed=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)   # e.g. 0-3,8
for range in $(printf '%s' "$allowed" | tr ',' ' '); do
  cpu=${range%-*}
  while [ "$cpu" -le "${range#*-}" ]; do
    dir=/sys/devices/system/cpu/cpu$cpu
    # `command`: a redirection that fails does not end the script (as it would for a bare `exec`).
    if [ -r "$dir" ] && command exec 9<"$dir" && flock -n 9; then exec taskset -c "$cpu" "$@"; fi
    cpu=$((cpu + 1))
  done
done
exec 9<&-
exec "$@"
