#!/usr/bin/env bash
# lvs-lab in any CI, in plain shell: install lab, load IPVS, bring a lab up, verify it with a JUnit report and
# the packet captures, and always tear it down. Copy it into your repository and run it from your CI job:
#
#   SCENARIO=rr-basic docs/ci/lab-ci.sh        # or SCENARIO=./labs/my-lab.yaml
#
# Then collect $RESULTS (default lab-results/) as the job's artifacts, e.g. in GitLab CI:
#   artifacts: { when: always, paths: [lab-results/], reports: { junit: lab-results/junit.xml } }
# (docs/ci/github-actions.yml is the same for GitHub Actions.)
#
# Needs: a Linux machine (or VM runner) with Docker, Node.js 20+ and npm, and a kernel with IPVS modules;
# sudo when not root. Exit status: lab verify's (0 pass, 1 a check failed, 3 environment missing).
set -euo pipefail

SCENARIO=${SCENARIO:-rr-basic}
LAB_PACKAGE=${LAB_PACKAGE:-lvs-lab}     # what `npm install -g` installs: the package, a .tgz, or a git URL
RESULTS=${RESULTS:-lab-results}
SCHEDULER_MODULES=${SCHEDULER_MODULES:-ip_vs_rr}   # each scheduler is its own module: ip_vs_wrr, ip_vs_sh, ...

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

command -v lab >/dev/null || as_root npm install -g "$LAB_PACKAGE"
lab version

# A container cannot load a kernel module: load IPVS on the machine that runs Docker.
as_root modprobe ip_vs $SCHEDULER_MODULES

# From here on, whatever fails, the lab goes away.
trap 'lab teardown "$SCENARIO" || true' EXIT

# The lab image from its Dockerfile where a registry answers, else from Debian packages (no registry needed).
lab images build || lab images build --offline
lab doctor "$SCENARIO"
lab up "$SCENARIO" --no-verify
mkdir -p "$RESULTS/pcap"
lab verify "$SCENARIO" --junit "$RESULTS/junit.xml" --keep-captures "$RESULTS/pcap"
