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
apt-get update -q >/dev/null
pkgs=(curl iproute2 kmod user-mode-linux)
# Keep whatever Docker the machine already has (docker-ce, Docker Desktop); install Debian's only if none.
if ! command -v dockerd >/dev/null 2>&1 && ! engine_up; then pkgs+=(docker.io); fi
apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null

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

say "npm ci and build"
npm ci --no-audit --no-fund --loglevel=error
npm run -s build

say "lab image (from Debian packages, no registry)"
node dist/cli/main.js images build --offline
