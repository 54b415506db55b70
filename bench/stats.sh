# Sourced by the bench scripts: stats <name> <values in ms...> prints min, p50, p90, max and mean.
stats() {
  local name=$1; shift
  printf '%s\n' "$@" | sort -n | awk -v name="$name" '{ v[NR] = $1; s += $1 }
    END { printf "%-28s min %5d  p50 %5d  p90 %5d  max %5d  mean %7.1f ms  (n=%d)\n", name, v[1],
          v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5) < 1 ? 1 : int(NR * 0.9 + 0.5)], v[NR], s / NR, NR }'
}
