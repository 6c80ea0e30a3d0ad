#!/usr/bin/env bash
# The key path as vCenter drives it (Create AES-256 with vCenter's own request, Get, Activate,
# each on a new TLS connection), side by side in one run: a local raftkeep cluster (release
# build, deploy/local-cluster.sh) through the leader and through a follower, and PyKMIP 0.11.0's
# server with the same certificates (docs/bench/vcenter_keys.py). Installs PyKMIP if missing.
# Usage: docs/bench/vcenter_keys.sh   (N=200 keys by default; RAFTKEEP_BIN to skip the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${N:-200}"
python3 -c 'import kmip' 2>/dev/null || python3 -m pip install --quiet pykmip
if [ -z "${RAFTKEEP_BIN:-}" ]; then
  ./.ci/ensure-libclang
  cargo build --release --locked -p raftkeep
  RAFTKEEP_BIN="${CARGO_TARGET_DIR:-target}/release/raftkeep"
fi
export RAFTKEEP_BIN
dir="$(mktemp -d)"
BASE_PORT=7561 KMIP_PORT=25871 deploy/local-cluster.sh "$dir/cluster" > "$dir/cluster.out" 2>&1 &
cluster=$!
cleanup() {
  kill -TERM "$cluster" 2>/dev/null || true
  [ -n "${pykmip:-}" ] && kill "$pykmip" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 100); do [ -f "$dir/cluster/initialized" ] && break; sleep 0.2; done
[ -f "$dir/cluster/initialized" ] || { cat "$dir/cluster.out"; exit 1; }
pki="$dir/cluster/pki"
PYTHONWARNINGS=ignore python3 docs/bench/pykmip_server.py --port 25881 --ca "$pki/ca.pem" --cert "$pki/node1.pem" \
  --key "$pki/node1.key" --dir "$dir/pykmip" &
pykmip=$!
sleep 3
leader="$("$RAFTKEEP_BIN" cluster --node 127.0.0.1:7561 --ca "$pki/ca.pem" --cert "$pki/admin.pem" --key "$pki/admin.key" status | sed -n 's/^leader: node \([0-9]*\).*/\1/p')"
follower=$(( leader == 1 ? 2 : 1 ))
client=(--ca "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client.key" --n "$N")
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
python3 docs/bench/vcenter_keys.py --port $((25870 + leader)) --label "raftkeep leader" "${client[@]}"
python3 docs/bench/vcenter_keys.py --port $((25870 + follower)) --label "raftkeep follower" "${client[@]}"
python3 docs/bench/vcenter_keys.py --port 25881 --tls12 --label "PyKMIP 0.11.0" "${client[@]}"
