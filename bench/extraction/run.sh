#!/usr/bin/env bash
# Field accuracy of model extraction on the generated sample applicants, against their expected.json.
#
# For each sample person, the model (default: the configuration's default_model, the local llama.cpp
# model out of the box) reads the licence front (OCR text), the flattened I-9 (page text), the pay stub
# and the bank statement (PDF text); every field the model is asked for and the sample states is
# compared after normalisation. Also reports schema validity and repair rounds.
#
# Usage: bench/extraction/run.sh [--model NAME] [--people N]      results: /tmp/centaur-bench/extraction.md
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
MODEL_ARGS=(); PEOPLE=6
while [ $# -gt 0 ]; do
  case "$1" in
    --model) MODEL_ARGS=(--model "$2"); shift 2 ;;
    --people) PEOPLE="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
done
scripts/setup-system
scripts/setup-local-model >/dev/null
SAMPLES=$(scripts/generate-samples)
swift build -c release --product centaur >&2
BIN="$(swift build -c release --show-bin-path)/centaur"
OUT=/tmp/centaur-bench/extraction
mkdir -p "$OUT"
for dir in $(ls -d "$SAMPLES"/person-* | head -n "$PEOPLE"); do
  person=$(basename "$dir")
  for pair in "us-drivers-license:license-front.png" "form-i9:i9-flat.pdf" "pay-stub:pay-stub.pdf" "bank-statement:bank-statement.pdf"; do
    type=${pair%%:*}; file=${pair#*:}
    echo "[bench] $person $file" >&2
    "$BIN" extract --quiet --json --model-use always "${MODEL_ARGS[@]}" --type "$type" "$dir/$file" > "$OUT/$person-$type.json"
  done
done
python3 "$ROOT/bench/extraction/score.py" "$SAMPLES" "$OUT" | tee /tmp/centaur-bench/extraction.md
