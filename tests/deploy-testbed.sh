#!/usr/bin/env bash
# Brings up the local two-node container bed, runs playbooks/site.yml against it and prints
# the cluster's status. Safe to run again: the bed and the cluster are reused.
# Tear down with: bash tests/bed/containers.sh down
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TWONODE_REPO"

bash tests/bed/containers.sh up
ansible-playbook -i inventories/testbed/hosts.yml playbooks/site.yml
ansible-playbook -i inventories/testbed/hosts.yml playbooks/status.yml
