#!/usr/bin/env bash
# The collection's documentation: antsibull-docs lints every module's, filter's and role's docs
# (schemas, O()/V()/RV()/M() references), then builds the HTML docs site from them with Sphinx.
#   bash tests/docs.sh [DEST]   # the site goes to DEST/build/html (kept), else to a temporary directory
# Offline-safe: the site is built without intersphinx (no fetch from docs.python.org or
# docs.ansible.com), so links into Ansible's own docs render as plain text.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TWONODE_REPO"

echo "--- antsibull-docs lint-collection-docs --plugin-docs"
antsibull-docs lint-collection-docs --plugin-docs .

if [ $# -gt 0 ]; then
  dest=$1
  mkdir -p "$dest"
else
  dest=$(mktemp -d)
  trap 'rm -rf "$dest"' EXIT
fi
echo "--- docs site (antsibull-docs sphinx-init + build.sh) in $dest"
antsibull-docs sphinx-init --use-current --dest-dir "$dest" twonode.ha >/dev/null
cat >>"$dest/conf.py" <<'CONF'

# tests/docs.sh: no intersphinx (CI may be offline); references into Ansible's docs stay unresolved.
intersphinx_mapping = {}
suppress_warnings = ['ref.ref']
CONF
# build.sh fails on any Sphinx warning (-W); its log is shown only then.
if ! bash "$dest/build.sh" >"$dest/build.log" 2>&1; then
  grep -E "WARNING|ERROR|Error" "$dest/build.log" || tail -n 30 "$dest/build.log"
  exit 1
fi
test -s "$dest/build/html/collections/twonode/ha/index.html"
echo "site: $dest/build/html/index.html"
