#!/usr/bin/env bash
# `raftkeep bench` side by side: a local 3-node raftkeep cluster (release build, `raftkeep dev`,
# every write committed by a majority with fsync) and PyKMIP 0.11.0's server (one process,
# SQLite) with the same certificates; the same workloads, alternating server by server, ROUNDS
# rounds of SECS seconds each. Prints a Markdown table: median ops/s of the rounds, the ratio,
# and each side's median p50 / p99 latency. Installs PyKMIP if missing.
# Usage: docs/bench/compare.sh   (ROUNDS=3 SECS=10 CONCURRENCY=8; RAFTKEEP_BIN skips the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${ROUNDS:-3}"; SECS="${SECS:-10}"; C="${CONCURRENCY:-8}"
. docs/bench/servers.sh
start_servers 7591 25891 25899
results="$(mktemp)"
common=(--ca "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client.key"
        --concurrency "$C" --duration "$SECS" --json)
for spec in "get" "create" "mixed" "get --new-connection-per-op" "vcenter --new-connection-per-op"; do
  for round in $(seq 1 "$ROUNDS"); do
    # shellcheck disable=SC2086 # the spec is a workload and its flags
    r="$("$RAFTKEEP_BIN" bench --workload $spec --servers 127.0.0.1:25891 "${common[@]}")"
    echo "raftkeep|$spec|$r" >> "$results"
    # PyKMIP cannot parse the Client Correlation Value that carries idempotency keys.
    # shellcheck disable=SC2086
    p="$("$RAFTKEEP_BIN" bench --workload $spec --no-idempotency-keys --servers 127.0.0.1:25899 "${common[@]}")"
    echo "pykmip|$spec|$p" >> "$results"
    echo "round $round, $spec: raftkeep $(echo "$r" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["ops_per_sec"]))') ops/s, PyKMIP $(echo "$p" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["ops_per_sec"]))') ops/s" >&2
  done
done
python3 - "$results" "$C" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    server, spec, data = line.rstrip("\n").split("|", 2)
    rows.setdefault(spec, {}).setdefault(server, []).append(json.loads(data))
med = lambda runs, f: statistics.median(f(r) for r in runs)
print(f"| workload ({sys.argv[2]} clients) | raftkeep ops/s | PyKMIP ops/s | ratio | raftkeep p50 / p99 ms | PyKMIP p50 / p99 ms | errors |")
print("|---|---:|---:|---:|---:|---:|---:|")
for spec, by in rows.items():
    ours, theirs = by["raftkeep"], by["pykmip"]
    o, t = med(ours, lambda r: r["ops_per_sec"]), med(theirs, lambda r: r["ops_per_sec"])
    lat = lambda runs, p: med(runs, lambda r: r["latency_us"][p]) / 1000
    errors = sum(r["errors"] for r in ours + theirs)
    print(f"| {spec} | {o:.0f} | {t:.0f} | {o / t if t else float('inf'):.1f}x | "
          f"{lat(ours, 'p50'):.2f} / {lat(ours, 'p99'):.2f} | {lat(theirs, 'p50'):.2f} / {lat(theirs, 'p99'):.2f} | {errors} |")
PY
rm -f "$results"
