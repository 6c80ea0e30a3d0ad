#!/usr/bin/env bash
# The key path as vCenter drives it (Create AES-256 with vCenter's own request, Get, Activate,
# each on a new TLS connection), side by side in one run: a local raftkeep cluster (release
# build, deploy/local-cluster.sh) through the leader and through a follower, and PyKMIP 0.11.0's
# server with the same certificates (docs/bench/vcenter_keys.py). Installs PyKMIP if missing.
# Usage: docs/bench/vcenter_keys.sh   (N=200 keys by default; RAFTKEEP_BIN to skip the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${N:-200}"
. docs/bench/servers.sh
start_servers 7561 25871 25881
leader="$("$RAFTKEEP_BIN" cluster --node 127.0.0.1:7561 --ca "$pki/ca.pem" --cert "$pki/admin.pem" \
  --key "$pki/admin.key" status | sed -n 's/^leader: node \([0-9]*\).*/\1/p')"
follower=$(( leader == 1 ? 2 : 1 ))
client=(--ca "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client.key" --n "$N")
python3 docs/bench/vcenter_keys.py --port $((25870 + leader)) --label "raftkeep leader" "${client[@]}"
python3 docs/bench/vcenter_keys.py --port $((25870 + follower)) --label "raftkeep follower" "${client[@]}"
python3 docs/bench/vcenter_keys.py --port 25881 --tls12 --label "PyKMIP 0.11.0" "${client[@]}"
