#!/usr/bin/env bash
# First-request latency, side by side in one run (DESIGN.md §4): a local raftkeep cluster
# (release build, deploy/local-cluster.sh) and PyKMIP 0.11.0's server with the same
# certificates, each asked N times on a fresh TLS connection for vCenter's first request
# (docs/bench/kmip_first_request.py). Installs PyKMIP from PyPI if missing.
# Usage: docs/bench/kmip_first_request.sh   (N=300 by default; RAFTKEEP_BIN to skip the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${N:-300}"
. docs/bench/servers.sh
start_servers 7551 25851 25861
client=(--ca "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client.key" --n "$N")
python3 docs/bench/kmip_first_request.py --port 25851 --label "raftkeep node 1" "${client[@]}"
python3 docs/bench/kmip_first_request.py --port 25851 --tls12 --label "raftkeep node 1" "${client[@]}"
python3 docs/bench/kmip_first_request.py --port 25852 --label "raftkeep node 2" "${client[@]}"
python3 docs/bench/kmip_first_request.py --port 25861 --tls12 --label "PyKMIP 0.11.0" "${client[@]}"
