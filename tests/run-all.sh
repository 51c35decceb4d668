#!/usr/bin/env bash
# Every test: lint, ansible-test sanity, unit tests, the Molecule scenario on a real two-node
# container cluster, and the one on two qemu VMs with DRBD and SBD (each built, converged twice,
# verified, fenced, destroyed).
# Installs what it needs; safe to run again. Stops the container bed when it is done.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TWONODE_REPO" || exit 1

passed=0 failed=0 failures=()
stage() {
  local name=$1 start=$SECONDS
  shift
  echo "=== $name"
  if "$@"; then
    passed=$((passed + 1))
    echo "=== $name: ok ($((SECONDS - start))s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "=== $name: FAILED ($((SECONDS - start))s)"
  fi
}

stage "ansible-lint" ansible-lint
stage "ansible-test sanity" bash tests/sanity.sh
stage "unit tests" python -m pytest -q -p no:cacheprovider tests/unit
stage "molecule (container bed)" molecule test --scenario-name default
# One bed at a time: the VM bed needs both cores.
stage "molecule (VM bed, DRBD)" molecule test --scenario-name vms

echo
[ ${#failures[@]} -eq 0 ] || echo "failed stages: ${failures[*]}"
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
