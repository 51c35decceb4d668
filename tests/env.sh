#!/usr/bin/env bash
# Sourced by the project's commands: installs what the host needs (idempotent) and sets up
# the environment so that `twonode.ha` resolves to this checkout.
set -euo pipefail

TWONODE_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TWONODE_VENV=${TWONODE_VENV:-$TWONODE_REPO/.venv}
HOST_PACKAGES=(podman runc debootstrap socat openssl openssh-client python3-venv curl iproute2 shellcheck git
               qemu-system-x86 qemu-utils)

twonode_host_packages() {
  local missing=() pkg
  for pkg in "${HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "[setup] installing host packages: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

twonode_venv() {
  local stamp=$TWONODE_VENV/.requirements.sha256 want
  want=$(sha256sum "$TWONODE_REPO/requirements.txt" | cut -d' ' -f1)
  if [ ! -x "$TWONODE_VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "[setup] preparing the Python environment in $TWONODE_VENV" >&2
    python3 -m venv "$TWONODE_VENV"
    "$TWONODE_VENV/bin/pip" install -q --disable-pip-version-check -r "$TWONODE_REPO/requirements.txt" \
      >"$TWONODE_VENV/pip.log" 2>&1 || { tail -n 20 "$TWONODE_VENV/pip.log" >&2; return 1; }
    echo "$want" >"$stamp"
  fi
  # ansible finds collections as ansible_collections/<namespace>/<name>: point it at this checkout.
  mkdir -p "$TWONODE_VENV/collections/ansible_collections/twonode"
  ln -sfn "$TWONODE_REPO" "$TWONODE_VENV/collections/ansible_collections/twonode/ha"
}

twonode_host_packages
twonode_venv
export PATH=$TWONODE_VENV/bin:$PATH
export ANSIBLE_COLLECTIONS_PATH=$TWONODE_VENV/collections
export ANSIBLE_CONFIG=$TWONODE_REPO/ansible.cfg
export ANSIBLE_FORCE_COLOR=${ANSIBLE_FORCE_COLOR:-0}
