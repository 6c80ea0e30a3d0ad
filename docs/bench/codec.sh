#!/usr/bin/env bash
# Codec benchmark, side by side in one run: raftkeep's typed decode/encode of the vCenter
# Create and Get messages (criterion), then PyKMIP's on the same bytes.
# Usage: docs/bench/codec.sh     (installs PyKMIP from PyPI if missing)
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -c 'import kmip' 2>/dev/null || python3 -m pip install --quiet pykmip
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
echo "== raftkeep (cargo bench -p kmip-messages --bench vcenter)"
cargo bench -p kmip-messages --bench vcenter 2>/dev/null | grep -E '^vcenter/|time:' | paste - - | awk '{print $1, $(NF-3), $(NF-2)}'
echo "== PyKMIP $(python3 -c 'import kmip; print(kmip.__version__)') (docs/bench/pykmip_codec.py)"
python3 docs/bench/pykmip_codec.py
