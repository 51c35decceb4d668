#!/usr/bin/env bash
# The README's drill command, twice in a row, on a freshly deployed container bed (every drill of
# the drill role's default list). Prints each run's summary and how long it took; fails if either
# run fails. The bed is removed before and after.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TWONODE_REPO" || exit 1

bash tests/bed/containers.sh down >/dev/null 2>&1
bash tests/deploy-testbed.sh >/tmp/twonode-drills-deploy.log 2>&1 || { tail -40 /tmp/twonode-drills-deploy.log; exit 1; }
rc=0
for round in 1 2; do
  start=$SECONDS
  log=$(mktemp)
  ansible-playbook -i inventories/testbed/hosts.yml playbooks/drill.yml -e drill_confirm=testbed >"$log" 2>&1
  status=$?
  # The drill role's closing summary (one line per drill, the client load), then the recap.
  sed -n '/Print the summary/,/^$/p' "$log" | head -60
  sed -n '/PLAY RECAP/,$p' "$log"
  echo "round $round: rc $status in $((SECONDS - start)) s"
  [ "$status" -eq 0 ] || { rc=1; tail -60 "$log"; }
  rm -f "$log"
done
bash tests/bed/containers.sh down >/dev/null 2>&1
exit $rc
