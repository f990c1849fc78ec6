#!/usr/bin/env bash
# The eval runner's overhead: 1,000 cases × 3 fake models with 20 ms latency at concurrency 32, against the ideal
# wall time (cases × models × 20 ms / 32), and peak memory. Three runs; release build unless CENTAUR_BIN is set.
#   bash bench/evals/run.sh [--cases N] [--models N] [--latency-ms N] [--concurrency N]
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${CENTAUR_BIN:-}" ]; then
  swift build -c release --product centaur >/dev/null
  CENTAUR_BIN=$(swift build -c release --show-bin-path)/centaur
fi
for i in 1 2 3; do "$CENTAUR_BIN" eval bench "$@"; done
