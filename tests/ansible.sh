#!/usr/bin/env bash
# Runs one command with the project's Ansible (the .venv) and twonode.ha resolving to this checkout,
# e.g.: bash tests/ansible.sh ansible-playbook -i inventories/testbed/hosts.yml playbooks/status.yml
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TWONODE_REPO"
exec "$@"
