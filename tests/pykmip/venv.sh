#!/usr/bin/env bash
# Prints the Python of a virtualenv holding PyKMIP 0.11.0, pytest and testtools, and PyKMIP's
# sdist (its integration tests: the wheel lacks them) under "$VENV/pykmip-0.11.0"; installs
# them from PyPI into ${RAFTKEEP_PYKMIP_VENV:-~/.cache/raftkeep-pykmip} when missing.
# Usage: python="$(tests/pykmip/venv.sh)"
set -euo pipefail
VENV="${RAFTKEEP_PYKMIP_VENV:-$HOME/.cache/raftkeep-pykmip}"
SDIST="$VENV/pykmip-0.11.0"
if [ ! -x "$VENV/bin/python" ] || [ ! -d "$SDIST/kmip/tests/integration" ]; then
  echo "installing PyKMIP 0.11.0, pytest and testtools into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check pykmip==0.11.0 pytest testtools >&2
  "$VENV/bin/pip" download --quiet --disable-pip-version-check --no-binary :all: --no-deps pykmip==0.11.0 -d "$VENV/dist" >&2
  tar -xzf "$VENV/dist/pykmip-0.11.0.tar.gz" -C "$VENV"
fi
echo "$VENV/bin/python"
