#!/usr/bin/env bash
# The collection from a Debian 13 control machine (Python 3.13): in a container of the bed's Debian 13
# node image, the README's setup (python3-venv, the pinned requirements), the unit tests, ansible-doc
# on every module and a syntax check of every playbook, on a copy of the files git knows.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TWONODE_REPO"
image=$(TWONODE_DEBIAN=trixie bash tests/bed/node-image.sh)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git ls-files -co --exclude-standard | tar -cf - -T - | tar -xf - -C "$work"
nofile=$(ulimit -Hn)
# The host's CA bundle: behind a proxy that re-signs TLS, pip inside trusts what the host trusts.
podman --runtime runc run --rm --network host --ulimit "nofile=$nofile:$nofile" --ulimit nproc=32768:32768 \
  -v "$work:/repo" -v /etc/ssl/certs/ca-certificates.crt:/host-ca.crt:ro -e PIP_CERT=/host-ca.crt \
  -w /repo --entrypoint /bin/bash "$image" -euo pipefail -c '
    echo "control machine: $(. /etc/os-release; echo "$PRETTY_NAME"), $(python3 --version)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    python3 -m venv /tmp/venv
    /tmp/venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
    /tmp/venv/bin/python -m pytest -q -p no:cacheprovider tests/unit | tail -n 1
    mkdir -p /tmp/collections/ansible_collections/twonode && ln -s /repo /tmp/collections/ansible_collections/twonode/ha
    export ANSIBLE_COLLECTIONS_PATH=/tmp/collections ANSIBLE_CONFIG=/repo/ansible.cfg
    for module in plugins/modules/*.py; do
      /tmp/venv/bin/ansible-doc "twonode.ha.$(basename "$module" .py)" >/dev/null
    done
    echo "ansible-doc: every module renders"
    /tmp/venv/bin/ansible-playbook --syntax-check -i inventories/testbed/hosts.yml playbooks/*.yml >/dev/null
    echo "syntax check: every playbook"
  '
