#!/usr/bin/env bash
# Prints the Python of a virtualenv holding libmongocrypt (through PyPI's pymongocrypt, whose
# wheels carry the library) and pymongo's bson; installs them from PyPI into
# ${RAFTKEEP_MONGOCRYPT_VENV:-~/.cache/raftkeep-mongocrypt} when missing.
# Usage: python="$(tests/mongocrypt/venv.sh)"
set -euo pipefail
VENV="${RAFTKEEP_MONGOCRYPT_VENV:-$HOME/.cache/raftkeep-mongocrypt}"
if ! "$VENV/bin/python" -c 'import pymongocrypt, bson' 2>/dev/null; then
  echo "installing pymongocrypt 1.21.2 (libmongocrypt 1.21.0) and pymongo 4.20.1 into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check pymongocrypt==1.21.2 pymongo==4.20.1 >&2
fi
echo "$VENV/bin/python"
