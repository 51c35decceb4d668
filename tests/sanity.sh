#!/usr/bin/env bash
# ansible-test sanity on this checkout. ansible-test needs the collection under
# ansible_collections/<namespace>/<name>, so it runs on a copy of the files git knows.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

SANITY_VENV=$TWONODE_VENV/sanity
if [ ! -x "$SANITY_VENV/bin/ansible-test" ]; then
  python3 -m venv "$SANITY_VENV"
  "$SANITY_VENV/bin/pip" install -q "$(grep '^ansible-core==' "$TWONODE_REPO/requirements.txt")" \
    >"$SANITY_VENV/pip.log" 2>&1 || { tail -n 20 "$SANITY_VENV/pip.log" >&2; exit 1; }
fi
# ansible-test would download pip's bootstrap script from a host outside reach; it documents
# this cache path for a copy. Ours installs pip with ensurepip (tests/sanity/get-pip-offline.py).
# The pip version ansible-test bootstraps is fixed by the pinned ansible-core (2.19.x: 24.2).
pip_version=24.2
mkdir -p "$HOME/.ansible/test/cache"
cp "$TWONODE_REPO/tests/sanity/get-pip-offline.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest=$work/ansible_collections/twonode/ha
mkdir -p "$dest"
(cd "$TWONODE_REPO" && git ls-files -co --exclude-standard | tar -cf - -T -) | tar -xf - -C "$dest"
cd "$dest"
git init -q && git add -A
"$SANITY_VENV/bin/ansible-test" sanity --requirements --python 3.11 "$@" 2>&1 \
  | grep -v -E "^(WARNING: Location|Looking in|Collecting|  Downloading|  Using cached|Installing collected|Successfully installed|Requirement already|     |  Attempting|    Found existing|    Uninstalling|      Successfully)"
exit "${PIPESTATUS[0]}"
