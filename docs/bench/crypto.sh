#!/usr/bin/env bash
# The cryptographic services through the full KMIP path, side by side: `raftkeep bench` with
# the workloads encrypt-gcm-64, encrypt-gcm-4k (AES-256-GCM, the server picking the IV),
# sign-rsa2048 (PKCS#1 v1.5, SHA-256) and sign-p256 (ECDSA, SHA-256), against a local 3-node
# raftkeep cluster (release build, `raftkeep dev`) and PyKMIP 0.11.0's server with the same
# certificates, alternating server by server, ROUNDS rounds of SECS seconds. Prints a
# Markdown table of median ops/s and p50 / p99 latency; "n/a" where a server cannot run a
# workload (PyKMIP makes RSA key pairs only). Installs PyKMIP if missing.
# Usage: docs/bench/crypto.sh   (ROUNDS=3 SECS=10 CONCURRENCY=8; RAFTKEEP_BIN skips the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${ROUNDS:-3}"; SECS="${SECS:-10}"; C="${CONCURRENCY:-8}"
. docs/bench/servers.sh
start_servers 7691 25991 25999
results="$(mktemp)"
common=(--ca "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client.key"
        --concurrency "$C" --duration "$SECS" --keys 8 --json)
for workload in encrypt-gcm-64 encrypt-gcm-4k sign-rsa2048 sign-p256; do
  for round in $(seq 1 "$ROUNDS"); do
    r="$("$RAFTKEEP_BIN" bench --workload "$workload" --servers 127.0.0.1:25991 "${common[@]}")"
    echo "raftkeep|$workload|$r" >> "$results"
    # PyKMIP cannot parse the Client Correlation Value that carries idempotency keys.
    if p="$("$RAFTKEEP_BIN" bench --workload "$workload" --no-idempotency-keys --servers 127.0.0.1:25999 "${common[@]}" 2>/dev/null)"; then
      echo "pykmip|$workload|$p" >> "$results"
    fi
    echo "round $round, $workload done" >&2
  done
done
python3 - "$results" "$C" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    server, spec, data = line.rstrip("\n").split("|", 2)
    rows.setdefault(spec, {}).setdefault(server, []).append(json.loads(data))
med = lambda runs, f: statistics.median(f(r) for r in runs)
lat = lambda runs, p: med(runs, lambda r: r["latency_us"][p]) / 1000
print(f"| workload ({sys.argv[2]} clients) | raftkeep ops/s | PyKMIP ops/s | ratio | raftkeep p50 / p99 ms | PyKMIP p50 / p99 ms | errors |")
print("|---|---:|---:|---:|---:|---:|---:|")
for spec, by in rows.items():
    ours, theirs = by["raftkeep"], by.get("pykmip", [])
    o = med(ours, lambda r: r["ops_per_sec"])
    if theirs:
        t = med(theirs, lambda r: r["ops_per_sec"])
        them, ratio = f"{t:.0f}", (f"{o / t:.1f}x" if t else "inf")
        their_lat = f"{lat(theirs, 'p50'):.2f} / {lat(theirs, 'p99'):.2f}"
    else:
        them, ratio, their_lat = "n/a", "", "n/a"
    errors = sum(r["errors"] for r in ours + theirs)
    print(f"| {spec} | {o:.0f} | {them} | {ratio} | {lat(ours, 'p50'):.2f} / {lat(ours, 'p99'):.2f} | {their_lat} | {errors} |")
PY
rm -f "$results"
