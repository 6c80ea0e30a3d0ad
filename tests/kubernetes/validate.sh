#!/usr/bin/env bash
# Validates deploy/kubernetes against the Kubernetes API schemas (kubernetes-validate, strict:
# unknown fields are errors), then prints every document of those files as one JSON array
# so the Rust test can check that they agree with each other and with the node
# configuration. kubernetes-validate (it bundles the schemas, no cluster needed) is installed
# into a virtualenv under ${RAFTKEEP_K8S_VENV:-~/.cache/raftkeep-k8s-validate} if missing.
# Usage: tests/kubernetes/validate.sh KUBERNETES_VERSION FILE...
set -euo pipefail
VENV="${RAFTKEEP_K8S_VENV:-$HOME/.cache/raftkeep-k8s-validate}"
version="$1"; shift
if [ ! -x "$VENV/bin/kubernetes-validate" ]; then
  echo "installing kubernetes-validate into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check kubernetes-validate==1.37.0 >&2
fi
"$VENV/bin/kubernetes-validate" --strict --quiet -k "$version" "$@" >&2
"$VENV/bin/python" - "$@" <<'PY'
import json, sys, yaml
docs = []
for name in sys.argv[1:]:
    with open(name) as f:
        docs.extend(d for d in yaml.safe_load_all(f) if d is not None)
json.dump(docs, sys.stdout)
PY
