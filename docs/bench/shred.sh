#!/usr/bin/env bash
# Crypto-shredding at scale: a local 3-node raftkeep cluster (release build, `raftkeep dev`)
# filled to KEYS keys through KMIP Creates, then one key created and destroyed. Prints, per
# node, how long after the Destroy the node had shredded it (snapshot past the Destroy, log
# purged, store compacted: `raftkeep_shred_pending` back to 0) and how long the pass itself
# took (`raftkeep_shred_seconds`), with the data directory's size. The scan that proves the
# sealed blob is gone from every file is the test `a_destroyed_keys_sealed_material_leaves_every_nodes_disk`.
# Usage: docs/bench/shred.sh   (KEYS=100000 FILL_CONCURRENCY=64; RAFTKEEP_BIN skips the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
KEYS="${KEYS:-100000}"; FILL_C="${FILL_CONCURRENCY:-64}"
. docs/bench/servers.sh
start_dev 8691 27891
c="$dir/cluster"
conn=(--ca "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client.key")
echo "   KEYS=$KEYS"
"$RAFTKEEP_BIN" bench --workload create --max-ops "$KEYS" --duration 3600 --concurrency "$FILL_C" \
  --servers 127.0.0.1:27891 "${conn[@]}" --json > /dev/null
monitor() { grep -A1 '^\[monitoring\]' "$c/node$1/node.toml" | sed -n 's/^listen = "\(.*\)"/\1/p'; }
sleep 12   # let the fill's own snapshots settle
uid="$("$RAFTKEEP_BIN" keys --servers 127.0.0.1:27891 "${conn[@]}" create --name doomed | awk '{print $1}')"
"$RAFTKEEP_BIN" keys --servers 127.0.0.1:27891 "${conn[@]}" destroy "$uid" > /dev/null
python3 - "$KEYS" "$(monitor 1)" "$(monitor 2)" "$(monitor 3)" "$c" <<'PY'
import subprocess, sys, time, urllib.request
keys, addrs, c = sys.argv[1], sys.argv[2:5], sys.argv[5]
start, done = time.time(), {}
def metrics(addr):
    text = urllib.request.urlopen(f"http://{addr}/metrics", timeout=2).read().decode()
    return {l.split()[0]: float(l.split()[1]) for l in text.splitlines() if l and not l.startswith("#")}
while len(done) < 3 and time.time() - start < 600:
    for n, addr in enumerate(addrs, 1):
        m = metrics(addr)
        if n not in done and m.get("raftkeep_shred_passes_total", 0) >= 1 and m.get("raftkeep_shred_pending") == 0:
            done[n] = (time.time() - start, m.get("raftkeep_shred_seconds_sum", 0))
    time.sleep(0.1)
print("| node | keys | shredded after (s) | pass (s) | data dir (MiB) |")
print("|---|---:|---:|---:|---:|")
for n in (1, 2, 3):
    size = subprocess.run(["du", "-sm", f"{c}/node{n}/data"], capture_output=True, text=True).stdout.split()[0]
    after, took = done.get(n, (float("nan"), float("nan")))
    print(f"| {n} | {keys} | {after:.1f} | {took:.2f} | {size} |")
PY
