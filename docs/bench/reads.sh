#!/usr/bin/env bash
# Linearizable Gets through the leader and through a follower, of Pre-Active keys (as a Create
# leaves them, and as vCenter first fetches them) and of Active keys, side by side with
# PyKMIP 0.11.0's server in the same run: `raftkeep bench --workload get`, CONCURRENCY clients
# each with its own TLS connection, ROUNDS rounds of SECS seconds, server by server alternating.
# Prints a Markdown table (median ops/s, p50 / p99 of the rounds, and the CPU time the three
# node processes spent per Get, from /proc) and the read-index counters of the leader and the
# follower (how many confirmations the reads took, and of what kind).
# Usage: docs/bench/reads.sh   (ROUNDS=3 SECS=10 CONCURRENCY=8; RAFTKEEP_BIN skips the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${ROUNDS:-3}"; SECS="${SECS:-10}"; C="${CONCURRENCY:-8}"
. docs/bench/servers.sh
start_servers 7691 25991 25999
results="$(mktemp)"
common=(--ca "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client.key"
        --concurrency "$C" --duration "$SECS" --json)
admin=(--ca "$pki/ca.pem" --cert "$pki/admin.pem" --key "$pki/admin.key")
status="$("$RAFTKEEP_BIN" cluster --node 127.0.0.1:7691 "${admin[@]}" --json status)"
leader="$(echo "$status" | python3 -c 'import json,sys; v=json.load(sys.stdin); print([n["id"] for n in v if n.get("state")=="Leader"][0])')"
follower=$(( leader % 3 + 1 ))
kmip_port() { echo $(( 25991 + $1 - 1 )); }
# CPU seconds (user + system) the three node processes have used so far.
nodes_cpu() {
  local total=0 pid
  for n in 1 2 3; do
    pid="$(cat "$dir/cluster/node$n/pid")"
    total=$(( total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat") ))
  done
  echo "$total"
}
hz="$(getconf CLK_TCK)"
echo "leader: node $leader (KMIP $(kmip_port "$leader")), follower: node $follower (KMIP $(kmip_port "$follower"))" >&2
for keys in "pre-active" "active"; do
  flag=(); [ "$keys" = active ] && flag=(--activate-keys)
  for round in $(seq 1 "$ROUNDS"); do
    for via in leader follower; do
      node=$leader; [ "$via" = follower ] && node=$follower
      before="$(nodes_cpu)"
      r="$("$RAFTKEEP_BIN" bench --workload get "${flag[@]}" --servers "127.0.0.1:$(kmip_port "$node")" "${common[@]}")"
      cpu=$(( $(nodes_cpu) - before ))
      echo "raftkeep $via|$keys|$(echo "$r" | python3 -c "import json,sys; d=json.load(sys.stdin); d['cpu_s']=$cpu/$hz; print(json.dumps(d))")" >> "$results"
      echo "round $round, $keys keys, raftkeep $via: $(echo "$r" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["ops_per_sec"]))') ops/s" >&2
    done
    # PyKMIP cannot parse the Client Correlation Value that carries idempotency keys.
    p="$("$RAFTKEEP_BIN" bench --workload get "${flag[@]}" --no-idempotency-keys --servers 127.0.0.1:25999 "${common[@]}")"
    echo "PyKMIP|$keys|$p" >> "$results"
  done
done
python3 - "$results" "$C" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    server, keys, data = line.rstrip("\n").split("|", 2)
    rows.setdefault((server, keys), []).append(json.loads(data))
med = lambda runs, f: statistics.median(f(r) for r in runs)
print(f"| Get of ({sys.argv[2]} clients) | server | ops/s | p50 / p99 ms | node CPU per Get | errors |")
print("|---|---|---:|---:|---:|---:|")
for (server, keys), runs in rows.items():
    lat = lambda p: med(runs, lambda r: r["latency_us"][p]) / 1000
    cpu = (f"{med(runs, lambda r: r['cpu_s'] / max(r['ops'], 1)) * 1e6:.0f} µs"
           if "cpu_s" in runs[0] else "n/a")
    print(f"| {keys} keys | {server} | {med(runs, lambda r: r['ops_per_sec']):.0f} | "
          f"{lat('p50'):.2f} / {lat('p99'):.2f} | {cpu} | {sum(r['errors'] for r in runs)} |")
PY
for n in "$leader" "$follower"; do
  # The `listen` of the node's [monitoring] section.
  m="$(awk '/^\[/ { mon = ($0 == "[monitoring]") } mon && /^listen = / { gsub(/"/, "", $3); print $3 }' "$dir/cluster/node$n/node.toml")"
  echo "node $n read index (after every round above):"
  curl -s "$m/metrics" | grep -E '^raftkeep_read_index_(rounds_total|batch_size_(sum|count))' || echo "  (no monitoring endpoint)"
done
rm -f "$results"
