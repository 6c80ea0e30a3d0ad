#!/usr/bin/env bash
# What failover costs a client, side by side in one run: N `raftkeep keys get` calls (one
# process, one TLS connection each, KMIP 2.1 fixed so no negotiation) against a local
# `raftkeep dev` cluster with all nodes up, with the first server paused (SIGSTOP, service
# timeout 1 s) and with the first server killed (SIGKILL). Prints median and max per call and
# the failed attempts the client logged. Usage: N=20 docs/bench/client_failover.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${N:-20}"
if [ -z "${RAFTKEEP_BIN:-}" ]; then
  ./.ci/ensure-libclang
  cargo build --release --locked -p raftkeep
  RAFTKEEP_BIN="${CARGO_TARGET_DIR:-target}/release/raftkeep"
fi
BIN="$(realpath "$RAFTKEEP_BIN")"
work="$(mktemp -d)"
cd "$work"
"$BIN" dev --base-port 0 --cluster-base-port 0 > dev.out 2>&1 &
dev=$!
trap 'kill -CONT "$(cat raftkeep-dev/node1/pid 2>/dev/null)" 2>/dev/null; kill -TERM $dev 2>/dev/null; wait $dev 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 150); do grep -q "Ctrl-C stops" dev.out 2>/dev/null && break; sleep 0.2; done
uid="$("$BIN" keys create --json | sed -E 's/.*"uid":"([^"]+)".*/\1/')"
"$BIN" keys get "$uid" > /dev/null   # clears Fresh once, outside the measurement
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"

measure() { # label, extra flags...
  local label="$1"; shift
  local times=() failed=0
  for _ in $(seq 1 "$N"); do
    local t0 t1
    t0=$(date +%s%N)
    "$BIN" keys get "$uid" --kmip-version 2.1 --verbose "$@" > /dev/null 2> err.log
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
    failed=$(( failed + $(grep -c "server failed" err.log || true) ))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v label="$label" -v failed="$failed" -v n="$N" '
    { v[NR] = $1 } END { printf "%-40s n=%d  median %8.1f ms  max %8.1f ms  failed attempts %d\n",
      label, n, v[int((NR + 1) / 2)] / 1000, v[NR] / 1000, failed }'
}

measure "all nodes up"
kill -STOP "$(cat raftkeep-dev/node1/pid)"
measure "first server paused (timeout 1 s)" --service-timeout 1
kill -CONT "$(cat raftkeep-dev/node1/pid)"
kill -9 "$(cat raftkeep-dev/node1/pid)"
sleep 3   # the new leader is elected; reads do not need it, but measure a settled cluster
measure "first server killed"
