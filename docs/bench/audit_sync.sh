#!/usr/bin/env bash
# What syncing the audit log before each answer costs: a local 3-node cluster (`raftkeep dev`,
# release build) with `[kmip.audit] sync = true` (the default), then the same cluster restarted
# with `sync = false`; Get, Create and mixed workloads from 8 and 32 clients, ROUNDS rounds of
# SECS seconds each, alternating. Prints a Markdown table of the median ops/s and p50 / p99.
# Usage: docs/bench/audit_sync.sh   (ROUNDS=2 SECS=5; RAFTKEEP_BIN skips the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${ROUNDS:-2}"; SECS="${SECS:-5}"
if [ -z "${RAFTKEEP_BIN:-}" ]; then
  ./.ci/ensure-libclang
  cargo build --release --locked -p raftkeep
  RAFTKEEP_BIN="${CARGO_TARGET_DIR:-target}/release/raftkeep"
fi
dir="$(mktemp -d)"
results="$dir/results"
cluster=""
stop() { [ -n "$cluster" ] && kill -TERM "$cluster" 2>/dev/null; wait 2>/dev/null || true; cluster=""; }
trap 'stop; rm -rf "$dir"' EXIT
start() {
  "$RAFTKEEP_BIN" dev --dir "$dir/cluster" --base-port 25791 --cluster-base-port 7791 >> "$dir/dev.out" 2>&1 &
  cluster=$!
  for _ in $(seq 1 150); do
    [ -f "$dir/cluster/initialized" ] && "$RAFTKEEP_BIN" bench --workload get --servers 127.0.0.1:25791 \
      --ca "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client.key" --duration 1 --json >/dev/null 2>&1 && return
    sleep 0.2
  done
  cat "$dir/dev.out"; exit 1
}
pki="$dir/cluster/pki"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)" >&2
for sync in true false; do
  stop
  if [ -d "$dir/cluster" ]; then
    for toml in "$dir"/cluster/node*/node.toml; do
      sed -i '/^\[kmip.audit\]$/,$d' "$toml"
      printf '[kmip.audit]\nsync = %s\n' "$sync" >> "$toml"
    done
  fi
  start
  for spec in "get 8" "get 32" "create 8" "mixed 8" "mixed 32"; do
    set -- $spec
    for round in $(seq 1 "$ROUNDS"); do
      r="$("$RAFTKEEP_BIN" bench --workload "$1" --concurrency "$2" --duration "$SECS" --json \
        --servers 127.0.0.1:25791 --ca "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client.key")"
      echo "$sync|$1 ($2 clients)|$r" >> "$results"
      echo "sync=$sync $1 c=$2 round $round: $(echo "$r" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["ops_per_sec"]))') ops/s" >&2
    done
  done
done
python3 - "$results" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    sync, spec, data = line.rstrip("\n").split("|", 2)
    rows.setdefault(spec, {}).setdefault(sync, []).append(json.loads(data))
med = lambda runs, f: statistics.median(f(r) for r in runs)
print("| workload | sync = true ops/s | sync = false ops/s | ratio | true p50 / p99 ms | false p50 / p99 ms | errors |")
print("|---|---:|---:|---:|---:|---:|---:|")
for spec, by in rows.items():
    on, off = by["true"], by["false"]
    o, f = med(on, lambda r: r["ops_per_sec"]), med(off, lambda r: r["ops_per_sec"])
    lat = lambda runs, p: med(runs, lambda r: r["latency_us"][p]) / 1000
    errors = sum(r["errors"] for r in on + off)
    print(f"| {spec} | {o:.0f} | {f:.0f} | {o / f:.2f} | {lat(on, 'p50'):.2f} / {lat(on, 'p99'):.2f} | "
          f"{lat(off, 'p50'):.2f} / {lat(off, 'p99'):.2f} | {errors} |")
PY
