#!/usr/bin/env bash
# The execution environment's definition (execution-environment.yml), checked with ansible-builder: the
# collection's tarball builds, ansible-builder makes the build context from the file (its schema, the base
# image, the galaxy and Python steps), and introspection of the installed collection finds its Python
# dependencies. No image is built: that needs the base image from quay.io and a registry to push to.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TWONODE_REPO"

version=$(sed -n 's/^version: *//p' galaxy.yml)
tarball=".ee-build/twonode-ha-$version.tar.gz"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ansible-galaxy collection build --force --output-path .ee-build . >/dev/null
ansible-builder create --file execution-environment.yml --context "$work/context" >/dev/null
containerfile="$work/context/Containerfile"
grep -q 'EE_BASE_IMAGE="quay.io/centos/centos:stream9"' "$containerfile"
grep -q "ansible-galaxy collection install" "$containerfile"
test -f "$work/context/_build/collections/twonode-ha-$version.tar.gz"
ansible-galaxy collection install --force -p "$work/collections" "$tarball" >/dev/null
found=$(ansible-builder introspect "$work/collections")
echo "$found" | grep -q "netaddr" || { echo "introspection did not find netaddr:"; echo "$found"; exit 1; }
echo "execution-environment.yml: build context made, the collection's Python dependencies found (netaddr)"
