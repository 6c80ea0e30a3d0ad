# Sourced by the side-by-side KMIP benchmarks: builds the release binary (unless RAFTKEEP_BIN
# is given), installs PyKMIP if missing, and starts a local 3-node raftkeep cluster
# (`raftkeep dev`) and PyKMIP 0.11.0's server with the same certificates, both
# stopped on exit. Usage: start_servers BASE_PORT KMIP_PORT PYKMIP_PORT; then $pki holds the
# certificates.
start_servers() {
  local base="$1" kmip="$2" pykmip_port="$3"
  python3 -c 'import kmip' 2>/dev/null || python3 -m pip install --quiet pykmip
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
  PYTHONWARNINGS=ignore python3 docs/bench/pykmip_server.py --port "$pykmip_port" --ca "$pki/ca.pem" \
    --cert "$pki/node1.pem" --key "$pki/node1.key" --dir "$dir/pykmip" &
  pykmip=$!
  sleep 3
  echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
}

stop_servers() {
  kill -TERM "$cluster" 2>/dev/null || true
  [ -n "${pykmip:-}" ] && kill "$pykmip" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
