#!/usr/bin/env bash
# Exact-cache hit latency against calling the upstream directly, in one run: the shared fast mock upstream
# (../shared/bench/litellm/mock_upstream.py) measured directly and through `centaur serve` answering from its
# cache (same temperature-0 body), with wrk at 1 and 16 connections, for each upstream delay in DELAYS (ms):
# 0 is a mock that answers at once (no real model does), 50 a fast hosted model.
#
#   bash bench/cache/run.sh            # DUR=10 CONNS="1 16" DELAYS="0 50"; writes $WORK/cache-results.md
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SHARED="${SHARED:-$REPO/../shared}/bench/litellm"
WORK="${WORK:-/tmp/centaur-bench}"
DUR="${DUR:-10}"
CONNS="${CONNS:-1 16}"
DELAYS="${DELAYS:-0 50}"
MOCK_PORT="${MOCK_PORT:-18081}"
CENTAUR_PORT="${CENTAUR_PORT:-18091}"
HOST=127.0.0.1
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
mkdir -p "$WORK"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
command -v wrk >/dev/null 2>&1 || { $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
if ! "$WORK/mockvenv/bin/python" -c 'import httptools, uvloop, orjson' >/dev/null 2>&1; then
  log "creating $WORK/mockvenv (httptools uvloop orjson)"
  python3 -m venv "$WORK/mockvenv" && "$WORK/mockvenv/bin/pip" install -q httptools uvloop orjson
fi
if [ -z "${CENTAUR_BIN:-}" ]; then
  log "building centaur (release)"
  (cd "$REPO" && swift build -c release --product centaur >/dev/null)
  CENTAUR_BIN="$(cd "$REPO" && swift build -c release --show-bin-path)/centaur"
fi
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill -TERM "$p" 2>/dev/null || true; done; sleep 0.5; for p in "${PIDS[@]:-}"; do kill -KILL "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

start_mock() {
  [ -n "${MOCK_PID:-}" ] && kill -TERM "$MOCK_PID" 2>/dev/null && wait "$MOCK_PID" 2>/dev/null || true
  "$WORK/mockvenv/bin/python" "$SHARED/mock_upstream.py" --host "$HOST" --port "$MOCK_PORT" --delay-ms "$1" >"$WORK/cache-mock.log" 2>&1 &
  MOCK_PID=$!; PIDS+=($MOCK_PID)
  for _ in $(seq 50); do curl -sf "http://$HOST:$MOCK_PORT/health" >/dev/null 2>&1 && break; sleep 0.1; done
  # A mock left over from another run would answer in its place: refuse to measure it.
  kill -0 "$MOCK_PID" 2>/dev/null || { log "the mock upstream did not start (is port $MOCK_PORT taken?)"; exit 1; }
}
start_mock 0
DATA="$WORK/cache-data"; rm -rf "$DATA"; mkdir -p "$DATA"
cat >"$WORK/cache.yaml" <<YAML
providers:
  mock: { kind: openai, base_url: http://$HOST:$MOCK_PORT/v1, api_key: sk-mock, flavor: compatible, pii: all }
models:
  mock-gpt: { provider: mock, id: mock-gpt, price: { input: 0.15, output: 0.6 } }
default_model: mock-gpt
YAML
KEY=$("$CENTAUR_BIN" keys create --name bench --data-dir "$DATA" 2>/dev/null)
"$CENTAUR_BIN" serve --config "$WORK/cache.yaml" --data-dir "$DATA" --port "$CENTAUR_PORT" --extraction-model none >"$WORK/cache-serve.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://$HOST:$CENTAUR_PORT/healthz" >/dev/null && curl -sf "http://$HOST:$MOCK_PORT/v1/models" >/dev/null 2>&1 && break; sleep 0.1; done
BODY='{"model":"mock-gpt","max_tokens":16,"temperature":0,"messages":[{"role":"user","content":"Say hello in five words."}]}'
first=$(curl -s -D - -o /dev/null "http://$HOST:$CENTAUR_PORT/v1/chat/completions" -H "Authorization: Bearer $KEY" -H 'content-type: application/json' -d "$BODY" | tr -d '\r' | grep -i '^x-centaur-cache' || true)
second=$(curl -s -D - -o /dev/null "http://$HOST:$CENTAUR_PORT/v1/chat/completions" -H "Authorization: Bearer $KEY" -H 'content-type: application/json' -d "$BODY" | tr -d '\r' | grep -i '^x-centaur-cache' || true)
log "first: $first; second: $second"

run() {  # label url
  local out
  out=$(WRK_BODY="$BODY" WRK_AUTH="$KEY" WRK_LABEL="$1" wrk -t1 -c"$3" -d"${DUR}s" --timeout 10s -s "$SHARED/post.lua" "$2" | grep '^RESULT')
  echo "$out"
}
{
  echo "| upstream delay ms | connections | direct p50 ms | cache hit p50 ms | hit / direct | direct RPS | cache RPS |"
  echo "|---:|---:|---:|---:|---:|---:|---:|"
  for delay in $DELAYS; do
  start_mock "$delay"
  for c in $CONNS; do
    d=$(run direct "http://$HOST:$MOCK_PORT" "$c"); h=$(run cache "http://$HOST:$CENTAUR_PORT" "$c")
    dp=$(echo "$d" | sed -E 's/.*p50_ms=([0-9.]+).*/\1/'); hp=$(echo "$h" | sed -E 's/.*p50_ms=([0-9.]+).*/\1/')
    dr=$(echo "$d" | sed -E 's/.* rps=([0-9.]+).*/\1/'); hr=$(echo "$h" | sed -E 's/.* rps=([0-9.]+).*/\1/')
    echo "| $delay | $c | $dp | $hp | $(python3 -c "print(f'{$hp/$dp:.2f}')") | $dr | $hr |"
  done
  done
  # This block runs in a subshell (its output is piped): stop its last mock here.
  kill -TERM "$MOCK_PID" 2>/dev/null || true
} | tee "$WORK/cache-results.md"
hits=$(curl -s "http://$HOST:$CENTAUR_PORT/metrics" | grep -c . || true)
log "done; results in $WORK/cache-results.md"
