#!/usr/bin/env bash
# A local 3-node Raftkeep cluster on 127.0.0.1, each node its own `raftkeep server` process:
# generates a cluster CA, node and operator certificates and a root key on first run (in
# ./raftkeep-local, or the directory given), starts the nodes, initializes the cluster once,
# prints its status, and runs until Ctrl-C, which stops every node cleanly. A second run
# reuses the data. Kill a node (its pid is in nodeN.pid) and watch `status` to see failover.
#
# KMIP (TTLV over TLS) listens on 127.0.0.1:5696-5698; so far it answers Discover Versions, Query and
# "Operation Not Supported" to everything else (issue #4 continues).
# Environment: RAFTKEEP_BIN (default target/release/raftkeep), BASE_PORT (default 7101),
# KMIP_PORT (default 5696).
set -euo pipefail

BIN="$(realpath "${RAFTKEEP_BIN:-target/release/raftkeep}")"
REPO="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${1:-raftkeep-local}"
BASE_PORT="${BASE_PORT:-7101}"
KMIP_PORT="${KMIP_PORT:-5696}"
[ -x "$BIN" ] || { echo "no raftkeep binary at $BIN (cargo build --release -p raftkeep)" >&2; exit 1; }
mkdir -p "$DIR"
cd "$DIR"

if [ ! -f pki/ca.pem ]; then
  "$BIN" certs init --dir pki
  for i in 1 2 3; do "$BIN" certs issue --dir pki --name "node$i" --san 127.0.0.1 --san localhost; done
  "$BIN" certs issue --dir pki --name admin --san admin.localhost
  "$BIN" certs issue --dir pki --name client --san client.localhost
fi
if [ ! -f root.key ]; then
  (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > root.key)
fi
for i in 1 2 3; do
  [ -f "node$i.toml" ] && continue
  cat > "node$i.toml" <<TOML
# Node $i of the local cluster. Every key: docs/architecture.md (cluster, tls, root_key).
node_id = $i
data_dir = "node$i"

[cluster]
listen = "127.0.0.1:$((BASE_PORT + i - 1))"

[tls]
ca = "pki/ca.pem"
cert = "pki/node$i.pem"
key = "pki/node$i.key"

[kmip]
listen = "127.0.0.1:$((KMIP_PORT + i - 1))"
cert = "pki/node$i.pem"
key = "pki/node$i.key"

[root_key]
file = "root.key"
TOML
done

pids=()
stop() {
  trap - INT TERM
  echo "stopping the nodes..."
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait
  exit 0
}
trap stop INT TERM
for i in 1 2 3; do
  "$BIN" server --config "node$i.toml" >>"node$i.log" 2>&1 &
  pids+=($!)
  echo $! > "node$i.pid"
done

export RAFTKEEP_CLUSTER_CA=pki/ca.pem RAFTKEEP_CLUSTER_CERT=pki/admin.pem RAFTKEEP_CLUSTER_KEY=pki/admin.key
node1="127.0.0.1:$BASE_PORT"
if [ ! -f initialized ]; then
  members=()
  for i in 1 2 3; do members+=(--member "$i=127.0.0.1:$((BASE_PORT + i - 1))"); done
  for _ in $(seq 1 50); do
    if "$BIN" cluster --node "$node1" init "${members[@]}" 2>/dev/null; then
      "$BIN" clients --node "$node1" allow pki/client.pem
      touch initialized
      break
    fi
    sleep 0.2
  done
  [ -f initialized ] || { echo "could not initialize the cluster; see $DIR/node1.log" >&2; stop; }
fi
sleep 1
"$BIN" cluster --node "$node1" status || true
cat <<TEXT

Cluster running in $(pwd); logs in nodeN.log, pids in nodeN.pid.
KMIP: 127.0.0.1:$KMIP_PORT-$((KMIP_PORT + 2)), CA pki/ca.pem, allowed client certificate pki/client.pem + pki/client.key
Try it (OASIS symmetric key lifecycle cases):
  $BIN conformance --dir $REPO/tests/fixtures/kmip-testcases --only SKLC --server 127.0.0.1:$KMIP_PORT \\
    --ca $(pwd)/pki/ca.pem --cert $(pwd)/pki/client.pem --key $(pwd)/pki/client.key
In another shell:
  cd $(pwd) && RAFTKEEP_CLUSTER_CA=pki/ca.pem RAFTKEEP_CLUSTER_CERT=pki/admin.pem RAFTKEEP_CLUSTER_KEY=pki/admin.key \\
    $BIN cluster --node $node1 status
  kill -9 \$(cat node1.pid)     # then status again from node 2: a new leader
Ctrl-C stops every node.
TEXT
wait
