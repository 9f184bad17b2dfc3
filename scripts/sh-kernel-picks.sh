#!/bin/sh
# scripts/sh-kernel-picks.sh: ask a real kernel's IPVS which real server its source-hashing scheduler
# (ipvsadm -s sh) gives each of many client addresses, and write the answers as a fixture that
# test/unit/scheduling-more.test.ts holds lab's own hash (src/lvs/sh-hash.ts) against.
#
#   scripts/sh-kernel-picks.sh [OUT]      # default OUT: test/fixtures/sh-kernel-picks.txt
#
# It boots User-Mode Linux (scripts/uml.sh, no dockerd: a few seconds) and runs itself inside with --guest.
# There everything is on lo: the client addresses, each virtual service's VIP and its real servers. curl
# from each client address (--interface) to each VIP is a locally sent connection, which IPVS schedules
# at LOCAL_OUT like any other; the real server is local too, so nothing listens and the kernel answers
# with a reset at once. `ipvsadm -Lnc` still holds the entry, naming the server the scheduler picked.
set -eu

# Virtual services: VIP, then each real server as NAME=ADDRESS:WEIGHT in `ipvsadm -a` order.
SERVICES='10.99.0.1 rs1=10.98.0.1:1 rs2=10.98.0.2:1
10.99.0.2 rs1=10.98.0.1:1 rs2=10.98.0.2:2 rs3=10.98.0.3:3
10.99.0.3 rs1=10.98.0.1:0 rs2=10.98.0.2:1'
# The built-in sh scenario's two clients, then addresses spread over many hash buckets.
CLIENTS='172.22.0.50 172.22.0.52'
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do CLIENTS="$CLIENTS 172.22.1.$i"; done
for i in 7 33 64 101 128 150 199 222 250 254; do CLIENTS="$CLIENTS 10.0.$i.$i 192.168.$i.1"; done

if [ "${1:-}" != --guest ]; then
  REPO=$(cd "$(dirname "$0")/.." && pwd -P)
  OUT=$(readlink -f "${1:-$REPO/test/fixtures/sh-kernel-picks.txt}")
  exec "$REPO/scripts/uml.sh" --no-docker --modules ip_vs,ip_vs_sh --rw "$(dirname "$OUT")" -- \
    sh "$REPO/scripts/sh-kernel-picks.sh" --guest "$OUT"
fi
OUT=$2

ip link set lo up
for c in $CLIENTS; do ip addr add "$c/32" dev lo; done
echo "$SERVICES" | while read -r vip servers; do
  ip addr add "$vip/32" dev lo
  ipvsadm -A -t "$vip:80" -s sh
  for s in $servers; do
    a=${s#*=}
    ip addr add "${a%:*}/32" dev lo 2>/dev/null || true   # the same server in several services
    ipvsadm -a -t "$vip:80" -r "${a%:*}" -g -w "${a#*:}"
  done
done

# One connection from each client to each VIP, then the entries for that client (-Lnc: proto expire
# state source virtual destination). A client with no entry for a VIP got no server ("none").
TMP_OUT="$OUT.tmp"
{
  echo "# IPVS sh scheduler picks on kernel $(uname -r), made by scripts/sh-kernel-picks.sh (do not edit)."
  echo "# service VIP NAME=ADDRESS:WEIGHT... (ipvsadm -a order), then one line per client: ADDRESS SERVER|none"
  echo "$SERVICES" | while read -r vip servers; do
    echo "service $vip $servers"
    for c in $CLIENTS; do
      curl -s -o /dev/null -m 2 --interface "$c" "http://$vip/" || true
      picked=none
      ipvsadm -Lnc > /tmp/conns
      while read -r _ _ _ src virtual dest; do
        if [ "${src%:*}" = "$c" ] && [ "$virtual" = "$vip:80" ]; then picked=${dest%:*}; fi
      done < /tmp/conns
      for s in $servers; do a=${s#*=}; [ "${a%:*}" = "$picked" ] && picked=${s%%=*}; done
      echo "$c $picked"
    done
  done
} > "$TMP_OUT"
mv "$TMP_OUT" "$OUT"
echo "sh-kernel-picks: wrote $OUT"
