#!/usr/bin/env bash
# The benchmark: both beds from fresh nodes, one after the other, figures printed side by side
# (tests/bed/benchmark.py says which). Installs what it needs, like the tests; takes about 45 min
# (the VM bed is most of it). Options go to benchmark.py, e.g. --beds containers --kills 5.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TWONODE_REPO"
exec python3 tests/bed/benchmark.py "$@"
