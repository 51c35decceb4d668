#!/usr/bin/env bash
# What CI runs: lint, ansible-test sanity, unit tests, the collection tarball, the docs (lint and
# site), the Molecule scenario on a real two-node container cluster on Debian 13 (built, converged
# twice, verified, fenced, destroyed) and on Debian 12 (its release-dependent checks), and the one
# on two Debian 13 qemu VMs with DRBD and SBD (built, converged, verified with a power cut, destroyed).
#   --full  adds what does not fit CI's hour: the release upgrade 12 -> 13 of a running container pair under
#           load, the VM scenario with its idempotence step and its long checks (DRBD safety on a spare
#           disk, a real split brain, the arbitrator with its drills) on Debian 13, the VM
#           scenario on Debian 12, the README's whole drill list twice on a fresh container bed, and
#           the unit tests, module docs and playbooks from a Debian 13 control machine (Python 3.13).
# Installs what it needs; safe to run again. Stops the beds when it is done.
set -uo pipefail
full=false
for arg in "$@"; do
  case $arg in
    --full) full=true ;;
    *) echo "usage: $0 [--full]" >&2; exit 64 ;;
  esac
done
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

# The images (debootstrap + apt, a few minutes each when not cached) build while the static
# checks run; the beds wait for them, so nothing times a cluster while an image builds.
images_log=$(mktemp)
{
  { TWONODE_DEBIAN=trixie bash tests/bed/vm-image.sh && { ! $full || TWONODE_DEBIAN=bookworm bash tests/bed/vm-image.sh; }; } >/dev/null &
  vm=$!
  TWONODE_DEBIAN=trixie bash tests/bed/containers.sh image && TWONODE_DEBIAN=bookworm bash tests/bed/containers.sh image
  containers=$?
  wait "$vm" && exit "$containers"
} >"$images_log" 2>&1 &
images_pid=$!

stage "ansible-lint" ansible-lint
stage "ansible-test sanity" bash tests/sanity.sh
stage "unit tests" python -m pytest -q -p no:cacheprovider tests/unit
# What a user installs: the tarball builds from this checkout (galaxy.yml's build_ignore keeps the
# beds, the venv and the caches out).
collection_build() {
  local out rc
  out=$(mktemp -d)
  ansible-galaxy collection build --output-path "$out" . && tar -tzf "$out"/twonode-ha-*.tar.gz >/dev/null
  rc=$?
  rm -rf "$out"
  return $rc
}
stage "ansible-galaxy collection build" collection_build
stage "execution environment (ansible-builder)" bash tests/ee.sh
stage "collection docs (antsibull-docs lint, docs site)" bash tests/docs.sh
images() { wait "$images_pid"; local rc=$?; cat "$images_log"; rm -f "$images_log"; return $rc; }
stage "node and guest images" images
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
# One bed at a time: the VM bed needs both cores. Under software emulation (no usable KVM here)
# the VM bed's inventory stretches the operation timeouts (resources_timeout_factor 3, see issue 13).
# --full adds the container tests CI leaves out (TWONODE_VERIFY=full: remove.yml and the rebuild after it).
TWONODE_DEBIAN=trixie TWONODE_VERIFY=$($full && echo full) stage "molecule (container bed, Debian 13)" molecule_timed default
# Debian 12 runs the release-dependent checks; input checks, the lock and the drills ran on 13.
TWONODE_DEBIAN=bookworm TWONODE_VERIFY=core$($full && echo ,full) stage "molecule (container bed, Debian 12)" molecule_timed default
$full || TWONODE_DEBIAN=trixie stage "molecule (VM bed, DRBD, Debian 13)" molecule_timed vms
# The VM scenario with its idempotence step (CI's sequence leaves it out, see molecule/vms/molecule.yml).
vms_full() {
  local rc=0 step
  for step in destroy create converge idempotence verify; do
    echo "--- molecule $step -s vms"
    molecule "$step" --scenario-name vms || { rc=1; break; }
  done
  molecule destroy --scenario-name vms >/dev/null 2>&1
  return $rc
}
# The release upgrade: a Debian 12 pair built by site.yml moved to 13 by update.yml under load, then site.yml
# again (molecule/default/tests/test_release_upgrade.py is the whole verify; it leaves the bed on 13).
release_upgrade() {
  local rc=0 step
  for step in destroy create converge verify; do
    echo "--- molecule $step -s default"
    molecule "$step" --scenario-name default || { rc=1; break; }
  done
  molecule destroy --scenario-name default >/dev/null 2>&1
  return $rc
}
if $full; then
  TWONODE_DEBIAN=bookworm TWONODE_VERIFY=release stage "release upgrade Debian 12 -> 13 under load (container bed)" \
    release_upgrade
  stage "the collection from a Debian 13 control machine (Python 3.13)" bash tests/controller-trixie.sh
  TWONODE_DEBIAN=trixie TWONODE_VERIFY=full stage "molecule (VM bed, DRBD, Debian 13, with idempotence)" vms_full
  TWONODE_DEBIAN=bookworm stage "molecule (VM bed, DRBD, Debian 12)" molecule_timed vms
  TWONODE_DEBIAN=trixie stage "every drill, twice, on a fresh container bed (Debian 13)" \
    bash tests/drills-twice.sh
fi

echo
[ ${#failures[@]} -eq 0 ] || echo "failed stages: ${failures[*]}"
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
