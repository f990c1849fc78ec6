#!/usr/bin/env bash
# Gateway benchmark: the same fast mock upstream measured, in one run,
#   (a) directly, (b) through Centaur (`centaur serve`, traces on), (c) through the LiteLLM proxy,
# with wrk at 1, 16 and 64 connections, plus streaming and Anthropic-format requests; then a
# "nothing lost" soak: DUR_SOAK seconds of load, SIGTERM, and traces stored = requests answered.
#
#   bash bench/gateway/run.sh                      # full run (~12 min on 2 cores, LiteLLM install included)
#   DUR=5 CONNS="1 16" PEER=0 bash bench/gateway/run.sh   # quick, without LiteLLM
#
# Uses the shared peer set-up in ../shared/bench/litellm (mock upstream, wrk script, measuring helpers).
# Everything binds 127.0.0.1; every load run is bounded by DUR. Installs only from apt and PyPI.
# FLOOR=1 also measures nginx as a plain reverse proxy in front of the mock: what any proxy can reach here.
# Knobs: WORK=/tmp/centaur-bench DUR=15 DUR_SOAK=60 CONNS="1 16 64" EXTRA_CONNS=16 PEER=1 FLOOR=1 NGINX_WORKERS=2
#        SOAK_CONNS=16 QUIET_WAIT=120 MOCK_PORT=18080 CENTAUR_PORT=18090 LITELLM_PORT=14000
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SHARED="${SHARED:-$REPO/../shared}/bench/litellm"
WORK="${WORK:-/tmp/centaur-bench}"
PYTHON="${PYTHON:-python3}"
DUR="${DUR:-15}"
DUR_SOAK="${DUR_SOAK:-60}"
CONNS="${CONNS:-1 16 64}"
EXTRA_CONNS="${EXTRA_CONNS:-16}"
SOAK_CONNS="${SOAK_CONNS:-16}"
PEER="${PEER:-1}"
FLOOR="${FLOOR:-1}"
NGINX_WORKERS="${NGINX_WORKERS:-2}"
NGINX_PORT="${NGINX_PORT:-18095}"
QUIET_WAIT="${QUIET_WAIT:-120}"
LITELLM_SPEC="${LITELLM_SPEC:-litellm[proxy]==1.106.2}"
MOCK_PORT="${MOCK_PORT:-18080}"
CENTAUR_PORT="${CENTAUR_PORT:-18090}"
LITELLM_PORT="${LITELLM_PORT:-14000}"
HOST=127.0.0.1
RESULTS="$WORK/results.jsonl"
BL="$SHARED/benchlib.py"
export LITELLM_MASTER_KEY="sk-bench-0123456789abcdef0123456789abcdef"
[ -f "$BL" ] || { echo "shared bench set-up not found at $SHARED (set SHARED=…/shared)" >&2; exit 1; }

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
mkdir -p "$WORK"

# ------------------------------------------------------------------ install
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if ! command -v wrk >/dev/null 2>&1; then
  log "apt-get install wrk"
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if ! "$WORK/mockvenv/bin/python" -c 'import httptools, uvloop, orjson' >/dev/null 2>&1; then
  log "creating $WORK/mockvenv (httptools uvloop orjson)"
  "$PYTHON" -m venv "$WORK/mockvenv" && "$WORK/mockvenv/bin/pip" install -q httptools uvloop orjson
fi
if [ "$FLOOR" = 1 ] && ! command -v nginx >/dev/null 2>&1; then
  log "apt-get install nginx (the plain-proxy reference)"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null 2>&1 \
    || $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
fi
if [ "$PEER" = 1 ] && [ ! -x "$WORK/venv/bin/litellm" ]; then
  log "creating $WORK/venv with $LITELLM_SPEC (PyPI; takes a few minutes)"
  "$PYTHON" -m venv "$WORK/venv" && "$WORK/venv/bin/pip" install -q --upgrade pip && "$WORK/venv/bin/pip" install -q "$LITELLM_SPEC"
fi
log "building centaur (release)"
(cd "$REPO" && swift build -c release --product centaur >/dev/null)
CENTAUR="$(cd "$REPO" && swift build -c release --show-bin-path)/centaur"

# ------------------------------------------------------- process handling
STARTED=()
cleanup() { local p; for p in "${STARTED[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
wait_http() { local i; for i in $(seq 1 $(( $2 * 10 ))); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "timeout waiting for $1" >&2; return 1; }
run_wrk() {  # group name endpoint conns url target-pid other-pid auth [ENV=V ...]
  local group="$1" name="$2" ep="$3" c="$4" url="$5" tp="$6" op="$7" auth="$8"; shift 8
  local envs=() kv; for kv in "$@"; do envs+=(--env "$kv"); done
  "$PYTHON" "$BL" wrk --group "$group" --target-name "$name" --endpoint "$ep" --label "$name/$ep" --conns "$c" --dur "$DUR" \
    --url "$url" --script "$SHARED/post.lua" --target "$tp" --other "$op" --loadavg "$(cut -d' ' -f1-3 /proc/loadavg)" \
    --out "$RESULTS" "${envs[@]}" --env "WRK_AUTH=$auth"
  sleep 2
}
warm() { local url="$1" auth="$2"; shift 2; env "$@" WRK_AUTH="$auth" wrk -t1 -c16 -d4s --timeout 10s -s "$SHARED/post.lua" "$url" >/dev/null; }

log "waiting for the machine to be idle (up to ${QUIET_WAIT}s)"
"$PYTHON" "$BL" quiet --max-cores 0.15 --wait "$QUIET_WAIT" || true
rm -f "$RESULTS"
"$PYTHON" - "$RESULTS" "$CENTAUR" <<'PY'
import json, os, platform, subprocess, sys, time
sh = lambda c: subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
cpu = sh("lscpu | sed -n 's/^Model name: *//p'")
meta = {"kind": "meta", "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": f"{os.cpu_count()} vCPU ({cpu}), kernel {platform.release()}",
        "centaur": sh(f"{sys.argv[2]} version") + " (release build; SQLite traces, metadata capture)",
        "load generator": sh("wrk -v 2>&1 | head -1"), "loadavg at start": open("/proc/loadavg").read().split()[:3],
        "all on one host": "wrk, mock and gateway share 2 cores"}
open(sys.argv[1], "a").write(json.dumps(meta) + "\n")
PY

# ------------------------------------------------------------- mock upstream
log "mock upstream on $HOST:$MOCK_PORT"
"$WORK/mockvenv/bin/python" "$SHARED/mock_upstream.py" --host "$HOST" --port "$MOCK_PORT" >"$WORK/mock.log" 2>&1 &
MOCK_PID=$!; STARTED+=("$MOCK_PID")
wait_http "http://$HOST:$MOCK_PORT/health" 20

# -------------------------------------------------------------- (a) direct
log "(a) direct"
warm "http://$HOST:$MOCK_PORT" none
for c in $CONNS; do run_wrk direct direct-mock chat "$c" "http://$HOST:$MOCK_PORT" "$MOCK_PID" "" none; done
run_wrk direct direct-mock chat-stream "$EXTRA_CONNS" "http://$HOST:$MOCK_PORT" "$MOCK_PID" "" none WRK_STREAM=1
run_wrk direct direct-mock messages "$EXTRA_CONNS" "http://$HOST:$MOCK_PORT" "$MOCK_PID" "" none WRK_KIND=anthropic WRK_MODEL=mock-anthropic

# ------------------------------------- (a2) nginx as a plain reverse proxy
# Not a peer: a proxy in C that parses nothing, authenticates nothing and records nothing. It shows what any
# proxy can reach on this machine, where the mock, the proxy and wrk share two cores.
if [ "$FLOOR" = 1 ]; then
  log "(a2) nginx reverse proxy ($NGINX_WORKERS workers) in front of the same mock"
  mkdir -p "$WORK/nginx"
  cat >"$WORK/nginx/proxy.conf" <<NGINX
worker_processes $NGINX_WORKERS;
pid nginx.pid;
error_log error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path body_tmp; proxy_temp_path proxy_tmp; fastcgi_temp_path fastcgi_tmp; uwsgi_temp_path uwsgi_tmp; scgi_temp_path scgi_tmp;
    keepalive_requests 1000000;
    upstream mock { server $HOST:$MOCK_PORT; keepalive 64; }
    server {
        listen $HOST:$NGINX_PORT backlog=4096;
        location / { proxy_pass http://mock; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
}
NGINX
  nginx -p "$WORK/nginx" -c "$WORK/nginx/proxy.conf" -g 'daemon off;' >"$WORK/nginx/out.log" 2>&1 &
  NPID=$!; STARTED+=("$NPID")
  wait_http "http://$HOST:$NGINX_PORT/health" 20
  warm "http://$HOST:$NGINX_PORT" none
  for c in $CONNS; do run_wrk "nginx-proxy(${NGINX_WORKERS}w)" "nginx-proxy(${NGINX_WORKERS}w)" chat "$c" "http://$HOST:$NGINX_PORT" "$NPID" "$MOCK_PID" none; done
  kill -TERM "$NPID"; wait "$NPID" || true
fi

# ---------------------------------------------------------- (b) via Centaur
start_centaur() {
  rm -rf "$WORK/centaur"; mkdir -p "$WORK/centaur"
  cat >"$WORK/centaur/centaur.yaml" <<YAML
providers:
  mock-openai: { kind: openai, base_url: http://$HOST:$MOCK_PORT/v1, api_key: sk-mock-upstream, flavor: compatible }
  mock-anthropic: { kind: anthropic, base_url: http://$HOST:$MOCK_PORT, api_key: sk-ant-mock-upstream }
models:
  mock-gpt: { provider: mock-openai, id: mock-gpt, price: { input: 0.15, output: 0.6 } }
  mock-claude: { provider: mock-openai, id: mock-claude, price: { input: 3, output: 15 } }
  mock-anthropic: { provider: mock-anthropic, id: mock-anthropic, price: { input: 3, output: 15 } }
routing: { attempts_per_target: 1 }
YAML
  CENTAUR_KEY=$("$CENTAUR" keys create --name bench --data-dir "$WORK/centaur/data" 2>/dev/null)
  t0="$(date +%s.%N)"
  "$CENTAUR" serve --config "$WORK/centaur/centaur.yaml" --data-dir "$WORK/centaur/data" --port "$CENTAUR_PORT" >"$WORK/centaur/serve.log" 2>&1 &
  CPID=$!; STARTED+=("$CPID")
}
log "(b) through Centaur"
start_centaur
"$PYTHON" "$BL" startup --t0 "$t0" --pid "$CPID" --group centaur --out "$RESULTS" --health "http://$HOST:$CENTAUR_PORT/healthz" \
  --chat "http://$HOST:$CENTAUR_PORT/v1/chat/completions" --auth "$CENTAUR_KEY"
"$PYTHON" "$BL" mem --pids "$CPID" --group centaur --label idle-after-start --cpu-window 3 --out "$RESULTS"
U="http://$HOST:$CENTAUR_PORT"
warm "$U" "$CENTAUR_KEY"; warm "$U" "$CENTAUR_KEY" WRK_STREAM=1; warm "$U" "$CENTAUR_KEY" WRK_KIND=anthropic WRK_MODEL=mock-claude
for c in $CONNS; do run_wrk centaur centaur chat "$c" "$U" "$CPID" "$MOCK_PID" "$CENTAUR_KEY"; done
run_wrk centaur centaur chat-stream "$EXTRA_CONNS" "$U" "$CPID" "$MOCK_PID" "$CENTAUR_KEY" WRK_STREAM=1
run_wrk centaur centaur "messages->openai" "$EXTRA_CONNS" "$U" "$CPID" "$MOCK_PID" "$CENTAUR_KEY" WRK_KIND=anthropic WRK_MODEL=mock-claude
run_wrk centaur centaur "messages->anthropic" "$EXTRA_CONNS" "$U" "$CPID" "$MOCK_PID" "$CENTAUR_KEY" WRK_KIND=anthropic WRK_MODEL=mock-anthropic
"$PYTHON" "$BL" mem --pids "$CPID" --group centaur --label idle-after-load --out "$RESULTS"
kill -TERM "$CPID"; wait "$CPID" || true

# ------------------------------------------------ nothing lost: soak + SIGTERM
log "nothing-lost soak: ${DUR_SOAK}s at $SOAK_CONNS connections, then SIGTERM"
start_centaur
wait_http "http://$HOST:$CENTAUR_PORT/healthz" 30
SOAK_OUT=$(WRK_AUTH="$CENTAUR_KEY" wrk -t1 -c"$SOAK_CONNS" -d"${DUR_SOAK}s" --timeout 10s -s "$SHARED/post.lua" "$U")
kill -TERM "$CPID"; wait "$CPID" || true
"$PYTHON" - "$RESULTS" "$WORK/centaur/data/centaur.sqlite" "$SOAK_CONNS" <<PY
import json, re, sqlite3, sys
out = """$SOAK_OUT"""
m = re.search(r"RESULT .*requests=(\d+).*err_connect=(\d+) err_read=(\d+) err_write=(\d+) err_status=(\d+) err_timeout=(\d+)", out)
answered = int(m.group(1)) - int(m.group(5))
rps = float(re.search(r"rps=([\d.]+)", out).group(1))
with sqlite3.connect(sys.argv[2]) as db:
    stored = db.execute("SELECT COUNT(DISTINCT request_id) FROM trace WHERE status = 'ok'").fetchone()[0]
# wrk stops counting at the deadline; up to one in-flight answer per connection is answered (and traced) after it.
ok = answered <= stored <= answered + int(sys.argv[3])
row = {"kind": "soak", "answered": answered, "stored": stored, "rps": rps, "nothing_lost": ok}
open(sys.argv[1], "a").write(json.dumps(row) + "\n")
print(f"SOAK answered={answered} stored={stored} rps={rps} nothing_lost={ok}")
PY

# ---------------------------------------------------------- (c) via LiteLLM
if [ "$PEER" = 1 ]; then
  log "(c) through LiteLLM (default workers)"
  sed "s/@MOCK_PORT@/$MOCK_PORT/g" "$SHARED/litellm_config.yaml" >"$WORK/litellm.yaml"
  t0="$(date +%s.%N)"
  LITELLM_LOG=ERROR LITELLM_LOCAL_MODEL_COST_MAP=True "$WORK/venv/bin/litellm" --config "$WORK/litellm.yaml" --host "$HOST" --port "$LITELLM_PORT" >"$WORK/litellm.log" 2>&1 &
  LPID=$!; STARTED+=("$LPID")
  "$PYTHON" "$BL" startup --t0 "$t0" --pid "$LPID" --group "litellm-default(1w)" --out "$RESULTS" \
    --health "http://$HOST:$LITELLM_PORT/health/liveliness" --chat "http://$HOST:$LITELLM_PORT/v1/chat/completions" --auth "$LITELLM_MASTER_KEY"
  L="http://$HOST:$LITELLM_PORT"
  warm "$L" "$LITELLM_MASTER_KEY"; warm "$L" "$LITELLM_MASTER_KEY" WRK_STREAM=1
  for c in $CONNS; do run_wrk "litellm-default(1w)" "litellm-default(1w)" chat "$c" "$L" "$LPID" "$MOCK_PID" "$LITELLM_MASTER_KEY"; done
  run_wrk "litellm-default(1w)" "litellm-default(1w)" chat-stream "$EXTRA_CONNS" "$L" "$LPID" "$MOCK_PID" "$LITELLM_MASTER_KEY" WRK_STREAM=1
  run_wrk "litellm-default(1w)" "litellm-default(1w)" "messages->openai" "$EXTRA_CONNS" "$L" "$LPID" "$MOCK_PID" "$LITELLM_MASTER_KEY" WRK_KIND=anthropic WRK_MODEL=mock-claude
  "$PYTHON" "$BL" mem --pids "$LPID" --group "litellm-default(1w)" --label idle-after-load --out "$RESULTS"
  kill -TERM "$LPID"; wait "$LPID" || true
fi

cleanup
log "done; results in $RESULTS and $WORK/results.md"
"$PYTHON" "$BL" report --in "$RESULTS" --baseline direct-mock --md "$WORK/results.md"
grep '"kind": "soak"' "$RESULTS" || true
