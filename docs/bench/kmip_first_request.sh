#!/usr/bin/env bash
# First-request latency, side by side in one run (DESIGN.md §4): a local raftkeep cluster
# (release build, deploy/local-cluster.sh) and PyKMIP 0.11.0's server with the same
# certificates, each asked N times on a fresh TLS connection for vCenter's first request
# (docs/bench/kmip_first_request.py). Installs PyKMIP from PyPI if missing.
# Usage: docs/bench/kmip_first_request.sh   (N=300 by default; RAFTKEEP_BIN to skip the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${N:-300}"
python3 -c 'import kmip' 2>/dev/null || python3 -m pip install --quiet pykmip
if [ -z "${RAFTKEEP_BIN:-}" ]; then
  ./.ci/ensure-libclang
  cargo build --release --locked -p raftkeep
  RAFTKEEP_BIN="${CARGO_TARGET_DIR:-target}/release/raftkeep"
fi
export RAFTKEEP_BIN
dir="$(mktemp -d)"
BASE_PORT=7551 KMIP_PORT=25851 deploy/local-cluster.sh "$dir/cluster" > "$dir/cluster.out" 2>&1 &
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
PYTHONWARNINGS=ignore python3 docs/bench/pykmip_server.py --port 25861 --ca "$pki/ca.pem" --cert "$pki/node1.pem" \
  --key "$pki/node1.key" --dir "$dir/pykmip" &
pykmip=$!
sleep 3
client=(--ca "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client.key" --n "$N")
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
python3 docs/bench/kmip_first_request.py --port 25851 --label "raftkeep node 1" "${client[@]}"
python3 docs/bench/kmip_first_request.py --port 25851 --tls12 --label "raftkeep node 1" "${client[@]}"
python3 docs/bench/kmip_first_request.py --port 25852 --label "raftkeep node 2" "${client[@]}"
python3 docs/bench/kmip_first_request.py --port 25861 --tls12 --label "PyKMIP 0.11.0" "${client[@]}"
