#!/usr/bin/env bash
# Request-text scanning benchmark: is the time a request spends in Centaur's scans (PII redaction for a
# `pii: none` model, prompt-injection heuristics, guards, the PII-leak check) linear in its size, and does
# `/healthz` keep answering while two 5 MB requests are scanned?
#
#   bash bench/scan/run.sh                 # sizes 1 KB … 5 MB, then the /healthz probe (~3 min on 2 cores)
#   SIZES="1 64 1024" bash bench/scan/run.sh
#
# Name-like text ("Jane SAMPLETON met Robert Quill in Boston …") is the worst case found by probing: every word
# is a candidate name. Each size is sent REPEAT times; the report gives milliseconds per KB, which is flat when the
# scans are linear. The mock upstream (../shared/bench/litellm/mock_upstream.py) answers at once, so what is
# measured is Centaur. Everything binds 127.0.0.1. Knobs: WORK=/tmp/centaur-scan-bench SIZES="1 16 256 1024 5120"
# REPEAT=3 MOCK_PORT=18180 CENTAUR_PORT=18190
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SHARED="${SHARED:-$REPO/../shared}/bench/litellm"
WORK="${WORK:-/tmp/centaur-scan-bench}"
PYTHON="${PYTHON:-python3}"
SIZES="${SIZES:-1 16 256 1024 5120}"
REPEAT="${REPEAT:-3}"
MOCK_PORT="${MOCK_PORT:-18180}"
CENTAUR_PORT="${CENTAUR_PORT:-18190}"
HOST=127.0.0.1
[ -f "$SHARED/mock_upstream.py" ] || { echo "shared bench set-up not found at $SHARED (set SHARED=…/shared)" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
mkdir -p "$WORK/data"

if ! "$WORK/mockvenv/bin/python" -c 'import httptools' >/dev/null 2>&1; then
  log "creating $WORK/mockvenv (httptools)"
  "$PYTHON" -m venv "$WORK/mockvenv" && "$WORK/mockvenv/bin/pip" install -q httptools
fi
log "building centaur (release)"
(cd "$REPO" && swift build -c release --product centaur >/dev/null)
CENTAUR="$(cd "$REPO" && swift build -c release --show-bin-path)/centaur"

STARTED=()
cleanup() { local p; for p in "${STARTED[@]:-}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

"$WORK/mockvenv/bin/python" "$SHARED/mock_upstream.py" --host "$HOST" --port "$MOCK_PORT" >"$WORK/mock.log" 2>&1 &
STARTED+=($!)
cat >"$WORK/centaur.yaml" <<YAML
providers:
  mock: { kind: openai, base_url: http://$HOST:$MOCK_PORT/v1, api_key: sk-mock-upstream, flavor: compatible, pii: none }
models:
  mock-gpt: { provider: mock, id: mock-gpt, price: { input: 0.15, output: 0.6 } }
guardrails: { max_input_chars: 6000000, injection: flag, pii_leak: flag }
cache: { enabled: false }
routing: { attempts_per_target: 1 }
YAML
"$CENTAUR" serve --config "$WORK/centaur.yaml" --data-dir "$WORK/data" --host "$HOST" --port "$CENTAUR_PORT" --no-auth >"$WORK/serve.log" 2>&1 &
STARTED+=($!)
for _ in $(seq 1 300); do curl -sf -o /dev/null "http://$HOST:$CENTAUR_PORT/healthz" && break; sleep 0.1; done

"$PYTHON" - "$HOST" "$CENTAUR_PORT" "$SIZES" "$REPEAT" <<'PY'
import json, random, sys, threading, time, urllib.request
host, port, sizes, repeat = sys.argv[1], int(sys.argv[2]), [int(s) for s in sys.argv[3].split()], int(sys.argv[4])
base = f"http://{host}:{port}"
random.seed(7)
first = ["Jane", "Robert", "Maria", "Ahmed", "Li", "Olga", "Pedro", "Grace"]
last = ["SAMPLETON", "Quill", "Okafor", "Nguyen", "Fairweather", "Brandt", "Moreau", "Castillo"]
places = ["Boston", "Denver", "Austin", "Seattle"]
def text(kb):
    words, size = [], 0
    while size < kb * 1024:
        w = f"{random.choice(first)} {random.choice(last)} met {random.choice(first)} {random.choice(last)} in {random.choice(places)},"
        words.append(w); size += len(w) + 1
    return " ".join(words)[: kb * 1024]
def chat(body):
    req = urllib.request.Request(base + "/v1/chat/completions", data=body, headers={"content-type": "application/json"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as r:
        r.read()
        status = r.status
    return time.perf_counter() - t, status
def body(kb):
    return json.dumps({"model": "mock-gpt", "messages": [{"role": "user", "content": text(kb)}]}).encode()
chat(body(1))
print(f"{'size':>8} {'best ms':>10} {'ms per KB':>10}")
rows = []
for kb in sizes:
    b = body(kb)
    best = min(chat(b)[0] for _ in range(repeat))
    rows.append((kb, best))
    print(f"{kb:>6}KB {best*1000:>10.1f} {best*1000/kb:>10.3f}", flush=True)
big = [r for r in rows if r[0] >= 256]
if len(big) >= 2:
    print(f"ms per KB, largest / 256 KB: {(big[-1][1]/big[-1][0]) / (big[0][1]/big[0][0]):.2f} (1.0 is linear; 20 would be quadratic from 256 KB to 5 MB)")

# /healthz while two 5 MB requests are scanned
b = body(5120)
latencies, done = [], threading.Event()
def probe():
    while not done.is_set():
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=30) as r: r.read()
            latencies.append(time.perf_counter() - t)
        except Exception:
            latencies.append(30.0)
        time.sleep(0.01)
p = threading.Thread(target=probe); p.start()
workers = [threading.Thread(target=chat, args=(b,)) for _ in range(2)]
t0 = time.perf_counter()
for w in workers: w.start()
for w in workers: w.join()
wall = time.perf_counter() - t0
done.set(); p.join()
latencies.sort()
p50 = latencies[len(latencies) // 2] * 1000
p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
print(f"two 5 MB requests at once: {wall:.1f} s; /healthz meanwhile: {len(latencies)} probes, p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1]*1000:.1f} ms")
PY
