#!/usr/bin/env bash
# The WAN table (issue #24): node processes (release build) in sites, every link between two
# sites through a proxy that delays like a WAN (half the round trip each way, a tenth of it as
# jitter). Per topology — one site of 3; 2 + 2 sites with a witness in a third
# (preferred_leaders = site 1); a primary of 3 with a DR site of 2 learners — and per round trip
# between sites: Create and Get p50 / p99 from each site's client (its own site's nodes listed
# first), writes back after the leader is killed, and a site cut: writes back at site 1, Gets
# served at the cut-off site. Default Raft timers. Prints a Markdown table.
# Usage: docs/bench/wan.sh   (RAFTKEEP_WAN_RTTS=1,20,50 RAFTKEEP_WAN_OPS=100)
set -euo pipefail
cd "$(dirname "$0")/../.."
./.ci/ensure-libclang
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)" >&2
RAFTKEEP_WAN_RTTS="${RAFTKEEP_WAN_RTTS:-1,20,50}" RAFTKEEP_WAN_OPS="${RAFTKEEP_WAN_OPS:-100}" \
  cargo test --release --locked -p raftkeep --test chaos wan_table -- --ignored --nocapture --test-threads 1
