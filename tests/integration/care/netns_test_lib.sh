# Shared by fail_open_k3s.sh and go_lvscare_takeover.sh (sourced, not run): timing, bounded waits,
# messages, and the end of a cleanup trap. Needs $work, $log and $ok from the script.

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
say() { echo "[$(date +%T.%N | cut -c1-12)] $*"; }

# Polls "$@" every 50 ms for at most $1 seconds.
wait_for() {
  local deadline=$(($(now_ms) + $1 * 1000)); shift
  until "$@"; do (($(now_ms) < deadline)) || return 1; sleep 0.05; done
}

# Prints $1 lines of the nft ruleset (and the ipsets, when ipset is installed) and the end of the
# lvscare log, then exits 1.
fail_with_state() {
  local rules=$1; shift
  say "FAIL: $*"
  echo "---- nft:"; nft list ruleset 2> /dev/null | head -"$rules" || true
  if command -v ipset > /dev/null; then echo "---- ipset:"; ipset list -n 2>&1 || true; fi
  echo "---- lvscare log (last 40 lines):"; tail -n 40 "$log" 2> /dev/null || true
  exit 1
}

# The last step of a cleanup trap: wait for the children, keep $work when the test failed.
finish_cleanup() {
  local status=$1
  wait 2> /dev/null
  if ((ok)); then rm -rf "$work"; else echo "files kept in $work" >&2; fi
  exit "$status"
}
