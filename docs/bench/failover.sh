#!/usr/bin/env bash
# Failover and fail-fast numbers of a real 3-process cluster: runs the cluster process tests
# RUNS times (default 10) and summarizes what they print — with the default timers (heartbeat
# 100 ms, election timeout 400-800 ms, write bound 5 s): time from SIGKILL of the leader until a
# write through a survivor is acknowledged again; with the tests' timers (heartbeat 100 ms,
# election timeout 800-1600 ms, write bound 2 s): time to an agreed new leader, time for a write
# without quorum to fail, staleness reported by a local read.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${RUNS:-10}"
out="$(mktemp)"
cargo test -q --locked -p raftkeep --test cluster_processes --no-run 2>/dev/null
for i in $(seq 1 "$RUNS"); do
  cargo test -q --locked -p raftkeep --test cluster_processes -- --nocapture 2>&1 \
    | grep -E "ms after SIGKILL|failed after|since the leader|available again" >> "$out"
  echo "run $i/$RUNS done" >&2
done
summary() { # label, awk field extraction
  sort -n | awk -v label="$1" '{ v[NR] = $1 } END {
    if (NR == 0) { print label ": no data"; exit }
    printf "%-44s n=%d  min %d  median %d  max %d ms\n", label, NR, v[1], v[int((NR + 1) / 2)], v[NR] }'
}
grep "available again" "$out" | sed -E 's/.*available again ([0-9]+) ms.*/\1/' | summary "writes back after SIGKILL of the leader (defaults)"
grep "new leader" "$out" | sed -E 's/.* ([0-9]+) ms after SIGKILL.*/\1/' | summary "new leader after SIGKILL of the leader (tests)"
grep "failed after" "$out" | sed -E 's/.*failed after ([0-9]+) ms.*/\1/' | summary "write without quorum fails (Unavailable)"
grep "since the leader" "$out" | sed -E 's/.*, ([0-9]+) ms since.*/\1/' | summary "local read without quorum: reported staleness"
rm -f "$out"
