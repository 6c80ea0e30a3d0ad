#!/usr/bin/env bash
# Scale: a local 3-node raftkeep cluster (release build, `raftkeep dev`) filled to KEYS keys
# through KMIP Creates (every one committed by a majority with fsync). Measures, as the store
# grows: Get and Locate (by Name) throughput and latency with 8 clients, first at 1,000 keys and
# then at KEYS; per node memory (RSS) and data size on disk; the snapshot file; the time a
# SIGKILLed node takes to be ready again after a restart; and the time a node that missed more
# than a snapshot's worth of log takes to catch up by snapshot install.
# Usage: docs/bench/scale.sh   (KEYS=1000000 FILL_CONCURRENCY=64 SECS=10; RAFTKEEP_BIN skips the
# build). Filling 1,000,000 keys takes about 10 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
KEYS="${KEYS:-1000000}"; FILL_C="${FILL_CONCURRENCY:-64}"; SECS="${SECS:-10}"
if [ -z "${RAFTKEEP_BIN:-}" ]; then
  ./.ci/ensure-libclang
  cargo build --release --locked -p raftkeep
  RAFTKEEP_BIN="${CARGO_TARGET_DIR:-target}/release/raftkeep"
fi
dir="$(mktemp -d)"
"$RAFTKEEP_BIN" dev --dir "$dir/cluster" --base-port 26891 --cluster-base-port 8591 > "$dir/cluster.out" 2>&1 &
cluster=$!
restarted=()
stop() {
  kill -TERM "$cluster" 2>/dev/null || true
  for p in "${restarted[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap stop EXIT
for _ in $(seq 1 100); do [ -f "$dir/cluster/initialized" ] && break; sleep 0.2; done
[ -f "$dir/cluster/initialized" ] || { cat "$dir/cluster.out"; exit 1; }
c="$dir/cluster"; pki="$c/pki"
conn=(--ca "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client.key")
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d), KEYS=$KEYS"

monitor() { grep -A1 '^\[monitoring\]' "$c/node$1/node.toml" | sed -n 's/^listen = "\(.*\)"/\1/p'; }
ready() { python3 - "$(monitor "$1")" "${2:-0}" <<'PY'
import json, sys, urllib.request
try:
    r = json.load(urllib.request.urlopen(f"http://{sys.argv[1]}/readyz", timeout=1))
except Exception:
    sys.exit(1)
sys.exit(0 if r["ready"] and r["writes"] and (r["applied_index"] or 0) >= int(sys.argv[2]) else 1)
PY
}
applied() { python3 -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(f"http://{sys.argv[1]}/readyz"))["applied_index"] or 0)' "$(monitor "$1")"; }
probe() {
  for w in get locate; do
    "$RAFTKEEP_BIN" bench --workload "$w" --keys 1000 --servers 127.0.0.1:26891 "${conn[@]}" \
      --concurrency 8 --duration "$SECS" --json | python3 -c "
import json, sys
d = json.load(sys.stdin)
l = d['latency_us']
print(f\"| $1 | $w | {d['ops_per_sec']:.0f} | {l['p50']/1000:.2f} | {l['p99']/1000:.2f} | {d['errors']} |\")"
  done
}
footprint() {
  for n in 1 2 3; do
    pid="$(cat "$c/node$n/pid")"
    rss_kib="$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")"
    data="$(du -sb "$c/node$n/data/db" | cut -f1)"
    snap="$(stat -c %s "$c/node$n/data/snapshots/current.snap" 2>/dev/null || echo 0)"
    # The active file and its sealed segments (audit.jsonl.<first record>).
    audit="$(cat "$c/node$n/data"/audit.jsonl "$c/node$n/data"/audit.jsonl.[0-9]* 2>/dev/null | wc -c)"
    echo "| $1 | node$n | $((rss_kib / 1024)) MiB | $((data / 1048576)) MiB | $((snap / 1048576)) MiB | $((audit / 1048576)) MiB |"
  done
}

echo "| keys | workload | ops/s | p50 ms | p99 ms | errors |"
echo "|---:|---|---:|---:|---:|---:|"
probe "1,000 (+1,000)" | tee "$dir/probe-small"
footprint "1k" > "$dir/footprint-small"

fill_started=$(date +%s)
"$RAFTKEEP_BIN" bench --workload create --max-ops "$KEYS" --duration 86400 --servers 127.0.0.1:26891 \
  "${conn[@]}" --concurrency "$FILL_C" --json > "$dir/fill.json"
fill_secs=$(( $(date +%s) - fill_started ))
probe "$KEYS (+1,000)" | tee "$dir/probe-large"
echo
python3 -c "import json; d=json.load(open('$dir/fill.json')); print(f\"Filled {d['ops']} keys in $fill_secs s ({d['ops_per_sec']:.0f} Creates/s with $FILL_C clients, {d['errors']} errors)\")"
echo
echo "| keys | node | RSS | RocksDB on disk | snapshot file | audit log |"
echo "|---|---|---:|---:|---:|---:|"
cat "$dir/footprint-small"
footprint "$KEYS"

# Restart: SIGKILL node 2, start it again, time until it serves reads and writes and has caught up.
target="$(applied 1)"
kill -KILL "$(cat "$c/node2/pid")"
sleep 1
t0=$(date +%s.%N)
"$RAFTKEEP_BIN" server --config "$c/node2/node.toml" >> "$c/node2/log" 2>&1 &
restarted+=($!)
until ready 2 "$target"; do sleep 0.05; done
echo
echo "Restart of node 2 after SIGKILL, to ready with writes and caught up: $(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')") s"

# Snapshot install: node 3 misses more than a snapshot's worth of log, then catches up.
kill -KILL "$(cat "$c/node3/pid")"
"$RAFTKEEP_BIN" bench --workload create --max-ops 12000 --duration 3600 --servers 127.0.0.1:26891 \
  "${conn[@]}" --concurrency "$FILL_C" --json > /dev/null
target="$(applied 1)"
t0=$(date +%s.%N)
"$RAFTKEEP_BIN" server --config "$c/node3/node.toml" >> "$c/node3/log" 2>&1 &
restarted+=($!)
until ready 3 "$target"; do sleep 0.1; done
echo "Node 3 back after missing 12,000 writes, to ready and caught up: $(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')") s"
grep -h "snapshot installed\|snapshot built" "$c/node3/log" | tail -2 | sed 's/\x1b\[[0-9;]*m//g'
grep -h "snapshot built" "$c/node1/log" | tail -1 | sed 's/\x1b\[[0-9;]*m//g'
