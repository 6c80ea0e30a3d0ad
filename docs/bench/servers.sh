# Sourced by the benchmarks: builds the release binary (unless RAFTKEEP_BIN is given) and starts
# a local 3-node raftkeep cluster (`raftkeep dev`; `start_dev`), for the side-by-side ones also
# PyKMIP 0.11.0's server with the same certificates (`start_servers`, which installs PyKMIP if
# missing); everything is stopped on exit. Then $pki holds the certificates and $dir/cluster is
# the cluster's directory.
# Usage: start_dev BASE_PORT KMIP_PORT, or start_servers BASE_PORT KMIP_PORT PYKMIP_PORT.
start_dev() {
  local base="$1" kmip="$2"
  if [ -z "${RAFTKEEP_BIN:-}" ]; then
    ./.ci/ensure-libclang
    cargo build --release --locked -p raftkeep
    RAFTKEEP_BIN="${CARGO_TARGET_DIR:-target}/release/raftkeep"
  fi
  export RAFTKEEP_BIN
  dir="$(mktemp -d)"
  "$RAFTKEEP_BIN" dev --dir "$dir/cluster" --base-port "$kmip" --cluster-base-port "$base" > "$dir/cluster.out" 2>&1 &
  cluster=$!
  trap stop_servers EXIT
  for _ in $(seq 1 100); do [ -f "$dir/cluster/initialized" ] && break; sleep 0.2; done
  [ -f "$dir/cluster/initialized" ] || { cat "$dir/cluster.out"; exit 1; }
  pki="$dir/cluster/pki"
  echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
}

start_servers() {
  local base="$1" kmip="$2" pykmip_port="$3"
  python3 -c 'import kmip' 2>/dev/null || python3 -m pip install --quiet pykmip
  start_dev "$base" "$kmip"
  PYTHONWARNINGS=ignore python3 docs/bench/pykmip_server.py --port "$pykmip_port" --ca "$pki/ca.pem" \
    --cert "$pki/node1.pem" --key "$pki/node1.key" --dir "$dir/pykmip" &
  pykmip=$!
  sleep 3
}

stop_servers() {
  kill -TERM "$cluster" 2>/dev/null || true
  [ -n "${pykmip:-}" ] && kill "$pykmip" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
