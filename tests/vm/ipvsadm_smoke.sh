#!/usr/bin/env bash
# Smoke test of the VM harness: IPVS works in the guest as seen by ipvsadm, a client we did not write.
set -euo pipefail
ipvsadm -A -t 10.1.2.3:80 -s rr
ipvsadm -a -t 10.1.2.3:80 -r 10.1.2.4:80 -m
# Table rows only, blanks squeezed (ipvsadm pads columns with trailing spaces).
got=$(ipvsadm -Ln | awk 'NR > 3 {$1 = $1; print}')
want=$'TCP 10.1.2.3:80 rr\n-> 10.1.2.4:80 Masq 1 0 0'
if [[ $got != "$want" ]]; then
  printf 'ipvsadm -Ln table is wrong:\n--- got\n%s\n--- want\n%s\n' "$got" "$want" >&2
  exit 1
fi
saved=$(ipvsadm -S -n)
want_saved=$'-A -t 10.1.2.3:80 -s rr\n-a -t 10.1.2.3:80 -r 10.1.2.4:80 -m -w 1'
if [[ $saved != "$want_saved" ]]; then
  printf 'ipvsadm -S -n is wrong:\n--- got\n%s\n--- want\n%s\n' "$saved" "$want_saved" >&2
  exit 1
fi
echo "ok: ipvsadm sees the virtual server and its masqueraded real server"
