#!/usr/bin/env bash
# Sets up a Debian/Ubuntu machine for lvs-lab, idempotently: system packages, a running Docker engine,
# the IPVS kernel modules, the npm dependencies and build, and the lab image (built from Debian packages,
# no registry). Run as root (or it re-runs itself with sudo). Touches nothing it does not need.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then exec sudo -E "$0" "$@"; fi
say() { printf '==> %s\n' "$*" >&2; }

engine_up() { curl -sf --max-time 3 --unix-socket /var/run/docker.sock http://d/_ping >/dev/null 2>&1; }

say "system packages"
export DEBIAN_FRONTEND=noninteractive
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
apt-get update -q >/dev/null
# curl first: it is how this script asks whether a Docker engine already answers.
command -v curl >/dev/null 2>&1 || apt-get install -y -q --no-install-recommends curl >/dev/null
# The package of every program in scripts/host-programs that this machine lacks (the User-Mode Linux guest
# boots on this root, so what it runs must be here). Whatever Docker the machine has (docker-ce, Docker
# Desktop) is kept: docker.io only comes in when no engine answers and there is no dockerd at all.
pkgs=()
while read -r program package _; do
  case $program in ''|'#'*) continue ;; esac
  command -v "$program" >/dev/null 2>&1 && continue
  if [ "$package" = docker.io ] && engine_up; then
    echo "    no dockerd here but an engine answers: keeping it; the User-Mode Linux path needs docker.io" >&2
    continue
  fi
  case " ${pkgs[*]-} " in *" $package "*) ;; *) pkgs+=("$package") ;; esac
done < scripts/host-programs
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "    installing: ${pkgs[*]}" >&2
  apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null
fi

if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "error: lvs-lab needs Node.js 20 or newer (found: $(node -v 2>/dev/null || echo none))." >&2
  echo "fix: install it from your distribution or https://nodejs.org, then run this again." >&2
  exit 3
fi

if ! engine_up; then
  say "starting the Docker engine"
  if [ -d /run/systemd/system ] && systemctl start docker 2>/dev/null; then :; else
    nohup dockerd >/var/log/lvs-lab-dockerd.log 2>&1 &
  fi
  for _ in $(seq 100); do engine_up && break; sleep 0.3; done
  engine_up || { echo "error: the Docker engine did not start; see /var/log/lvs-lab-dockerd.log" >&2; exit 3; }
fi

say "IPVS kernel modules"
if modprobe -a ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh ip_vs_lc 2>/dev/null && [ -d /proc/sys/net/ipv4/vs ]; then
  echo "    ip_vs loaded: lab up runs on this machine's Docker" >&2
else
  echo "    this kernel has no IPVS (ip_vs cannot be loaded): run labs inside User-Mode Linux: scripts/uml-lab.sh" >&2
fi

# Mount points User-Mode Linux needs on the (read-only in the guest) host root: scripts/uml*.sh, npm test.
mkdir -p /usr/lib/modules /var/lib/docker /etc/docker

# A checkout installs its dependencies and builds; an installed npm package (no lock file) has both.
if [ -f package-lock.json ]; then
  say "npm ci and build"
  npm ci --no-audit --no-fund --loglevel=error
  npm run -s build
fi

say "lab image (from Debian packages, no registry)"
node dist/cli/main.js images build --offline
