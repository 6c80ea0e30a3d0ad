#!/usr/bin/env bash
# PyKMIP 0.11.0's own integration suite (kmip/tests/integration, `-m "not ignore"`) against a
# fresh local 3-node Raftkeep cluster at every version PyKMIP speaks (1.0, 1.1, 1.2, 1.4, 2.0;
# RAFTKEEP_PYKMIP_VERSIONS picks others), each against a
# new cluster (the suite counts objects and expects an empty server). PyKMIP's sdist (the
# wheel lacks the tests), pytest and testtools are installed by venv.sh if missing; PyKMIP
# reads its client settings from ~/.pykmip/pykmip.conf, so it runs with a private HOME.
# Usage: tests/pykmip/run.sh RAFTKEEP_BIN
# Fails on a failure not listed, with its reason, in tests/pykmip/expected-failures.txt.
set -euo pipefail
BIN="$(realpath "$1")"
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="$(dirname "$("$HERE/venv.sh")")/.."
SDIST="$VENV/pykmip-0.11.0"

work="$(mktemp -d)"
cluster=""
cleanup() {
  [ -n "$cluster" ] && kill -TERM "$cluster" 2>/dev/null && wait "$cluster" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The failures expected at one version: lines without a version, and those that begin with
# "[VERSION] " for this one.
expected_at() {
  grep -v '^#' "$HERE/expected-failures.txt" \
    | awk -v v="[$1] " 'index($0, v) == 1 { print substr($0, length(v) + 1); next } /^\[/ { next } { print }' \
    | sed 's/ -- .*//' | sort
}
status=0
for version in ${RAFTKEEP_PYKMIP_VERSIONS:-1.0 1.1 1.2 1.4 2.0}; do
  expected="$(expected_at "$version")"
  dir="$work/cluster-$version"
  base=$(free_port); kmip=$(free_port)
  # `raftkeep dev` takes free ports itself if these are taken.
  "$BIN" dev --dir "$dir" --base-port "$kmip" --cluster-base-port "$base" >"$work/cluster-$version.out" 2>&1 &
  cluster=$!
  for _ in $(seq 1 150); do [ -f "$dir/initialized" ] && break; sleep 0.2; done
  if [ ! -f "$dir/initialized" ]; then
    echo "the KMIP $version cluster did not start within 30 s:"
    cat "$work/cluster-$version.out"
    for n in 1 2 3; do echo "--- node $n"; tail -20 "$dir/node$n/log" 2>/dev/null || true; done
    exit 1
  fi
  home="$work/home-$version"
  mkdir -p "$home/.pykmip"
  # The settings `raftkeep dev` writes for PyKMIP users, pointed at node 2.
  for _ in $(seq 1 50); do [ -f "$dir/pykmip.conf" ] && break; sleep 0.2; done
  # The `listen` of node 2's [kmip] section.
  port2="$(awk '/^\[/ { kmip = ($0 == "[kmip]") } kmip && /^listen = / { gsub(/.*:|"/, ""); print }' "$dir/node2/node.toml")"
  sed "s/^port=.*/port=$port2/" "$dir/pykmip.conf" > "$home/.pykmip/pykmip.conf"
  log="$work/pytest-$version.log"
  (cd "$SDIST" && HOME="$home" PYTHONPATH="$HERE" RAFTKEEP_PYKMIP_VERSION="$version" PYTHONWARNINGS=ignore \
    timeout 600 "$VENV/bin/python" -m pytest kmip/tests/integration -m "not ignore" --config raftkeep \
      -p raftkeep_version -p no:cacheprovider -q -rf >"$log" 2>&1) || true
  # `|| true`: no summary line must reach the diagnosis below, not end the script (set -e).
  summary="$(grep -E '^[0-9]+ (passed|failed)|^=+ .*(passed|failed)' "$log" | tail -1 || true)"
  echo "KMIP $version (through node 2, a follower or the leader): $summary"
  failed="$(grep -E '^FAILED ' "$log" | sed 's/^FAILED //; s/ - .*//' | sort -u || true)"
  unexpected="$(comm -23 <(echo "$failed" | sed '/^$/d') <(echo "$expected"))"
  now_passing="$(comm -13 <(echo "$failed" | sed '/^$/d') <(echo "$expected"))"
  if [ -z "$summary" ]; then
    echo "pytest did not run:"; tail -30 "$log"; status=1
  fi
  if [ -n "$unexpected" ]; then
    echo "unexpected failures at KMIP $version:"; echo "$unexpected" | sed 's/^/  /'
    grep -E -A25 '^_{5,} ' "$log" | head -120
    status=1
  fi
  if [ -n "$now_passing" ]; then
    echo "listed as failing but passing at KMIP $version (remove from expected-failures.txt):"
    echo "$now_passing" | sed 's/^/  /'
  fi
  kill -TERM "$cluster" 2>/dev/null || true
  wait "$cluster" 2>/dev/null || true
  cluster=""
done
exit $status
