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

# The VM guest image (debootstrap + apt, a few minutes when not cached) builds while the
# static checks run; the beds wait for it, so nothing times a cluster while it builds.
vm_image_log=$(mktemp)
bash tests/bed/vm-image.sh >"$vm_image_log" 2>&1 &
vm_image_pid=$!

stage "ansible-lint" ansible-lint
stage "ansible-test sanity" bash tests/sanity.sh
stage "unit tests" python -m pytest -q -p no:cacheprovider tests/unit
vm_image() { wait "$vm_image_pid"; local rc=$?; cat "$vm_image_log"; rm -f "$vm_image_log"; return $rc; }
stage "VM guest image" vm_image
# Molecule does not time its phases: its INFO lines get the seconds since the scenario began.
molecule_timed() {
  local start=$SECONDS line
  molecule test --scenario-name "$1" 2>&1 | while IFS= read -r line; do
    case $line in
      INFO*) printf '[+%ss] %s\n' "$((SECONDS - start))" "$line" ;;
      *) printf '%s\n' "$line" ;;
    esac
  done
}
stage "molecule (container bed)" molecule_timed default
# One bed at a time: the VM bed needs both cores.
stage "molecule (VM bed, DRBD)" molecule_timed vms

echo
[ ${#failures[@]} -eq 0 ] || echo "failed stages: ${failures[*]}"
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
