#!/usr/bin/env bash
# PostgreSQL at scale, in one run, on a throwaway server (Debian's postgresql, scripts/postgres-cluster):
#   (1) the store itself (Benchmarks/ PostgresBenchmarks, ordo-one): trace inserts per second in batches of 512
#       (goal ≥ 20,000/s), job claims per second with 4 workers (goal ≥ 2,000/s), one budget reserve + settle;
#   (2) the gateway: `centaur serve` (release) in front of the shared fast mock, wrk at CONNS connections, on SQLite
#       and on PostgreSQL, each with a key without a budget and one with a budget (reserve before, settle after),
#       and SQLite with traces.durable false: requests per second and the ratios between them.
#
#   bash bench/postgres/run.sh                 # DUR=10 CONNS=16; writes $WORK/postgres-results.md
#   STORE=0 bash bench/postgres/run.sh         # only the gateway part (skips the Benchmarks package build)
#
# Everything binds 127.0.0.1; installs only from apt and PyPI (wrk, the mock's venv).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SHARED="${SHARED:-$REPO/../shared}/bench/litellm"
WORK="${WORK:-/tmp/centaur-bench}"
DUR="${DUR:-10}"
CONNS="${CONNS:-16}"
STORE="${STORE:-1}"
MOCK_PORT="${MOCK_PORT:-18082}"
CENTAUR_PORT="${CENTAUR_PORT:-18092}"
HOST=127.0.0.1
OUT="$WORK/postgres-results.md"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
mkdir -p "$WORK"
[ -f "$SHARED/post.lua" ] || { echo "shared bench set-up not found at $SHARED (set SHARED=…/shared)" >&2; exit 1; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
command -v wrk >/dev/null 2>&1 || { $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
"$REPO/scripts/setup-system"
if ! "$WORK/mockvenv/bin/python" -c 'import httptools, uvloop, orjson' >/dev/null 2>&1; then
  log "creating $WORK/mockvenv (httptools uvloop orjson)"
  python3 -m venv "$WORK/mockvenv" && "$WORK/mockvenv/bin/pip" install -q httptools uvloop orjson
fi

PG_DIR="$WORK/postgres"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$REPO/scripts/postgres-cluster" stop "$PG_DIR" || true
}
trap cleanup EXIT
rm -rf "$PG_DIR"
PG_URL="$("$REPO/scripts/postgres-cluster" start "$PG_DIR")"
log "PostgreSQL at $PG_URL"
{
  echo "# PostgreSQL benchmark — $(date '+%Y-%m-%d %H:%M %Z')"
  echo
  echo "$(nproc) vCPU ($(lscpu | sed -n 's/^Model name: *//p')); PostgreSQL $(psql "$PG_URL" -Atc 'SHOW server_version'), fsync off"
  echo "(a throwaway test cluster); wrk, the mock, centaur and PostgreSQL share the machine."
  echo
} >"$OUT"

if [ "$STORE" = 1 ]; then
  log "(1) store benchmarks (builds the Benchmarks package in release: several minutes the first time)"
  (cd "$REPO/Benchmarks" && CENTAUR_BENCH_POSTGRES_URL="$PG_URL" swift package --disable-sandbox benchmark \
      --target PostgresBenchmarks --no-progress --format markdown 2>&1) | tee "$WORK/postgres-store.md" >&2
  { echo "## The store (ordo-one benchmark)"; echo; sed -n '/^#/,$p' "$WORK/postgres-store.md"; echo; } >>"$OUT"
fi

log "building centaur (release)"
(cd "$REPO" && swift build -c release --product centaur >/dev/null)
CENTAUR="$(cd "$REPO" && swift build -c release --show-bin-path)/centaur"

"$WORK/mockvenv/bin/python" "$SHARED/mock_upstream.py" --host "$HOST" --port "$MOCK_PORT" >"$WORK/pg-mock.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do curl -sf "http://$HOST:$MOCK_PORT/health" >/dev/null 2>&1 && break; sleep 0.1; done

# One gateway run: DATABASE (sqlite or a postgres URL), EXTRA yaml lines; prints "rps-plain rps-budgeted".
gateway() {
  local name="$1" database="$2" extra="$3" dir="$WORK/pg-gateway-$1"
  rm -rf "$dir"; mkdir -p "$dir"
  if [ "$database" != sqlite ]; then
    psql "$PG_URL" -Atqc "DROP DATABASE IF EXISTS bench_$name" -c "CREATE DATABASE bench_$name" >/dev/null
    database="$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit((p.scheme, p.netloc, "/" + sys.argv[2], p.query, "")))' "$PG_URL" "bench_$name")"
  else
    database="sqlite:$dir/data/centaur.sqlite"
  fi
  cat >"$dir/centaur.yaml" <<YAML
providers:
  mock-openai: { kind: openai, base_url: http://$HOST:$MOCK_PORT/v1, api_key: sk-mock-upstream, flavor: compatible }
models:
  mock-gpt: { provider: mock-openai, id: mock-gpt, price: { input: 0.15, output: 0.6 } }
routing: { attempts_per_target: 1 }
database: $database
$extra
YAML
  local plain budgeted
  plain=$("$CENTAUR" keys create --name plain --database "$database" --data-dir "$dir/data" 2>/dev/null)
  budgeted=$("$CENTAUR" keys create --name budgeted --team bench --rpm 100000000 --monthly-usd 1000000 --database "$database" --data-dir "$dir/data" 2>/dev/null)
  "$CENTAUR" serve --config "$dir/centaur.yaml" --data-dir "$dir/data" --port "$CENTAUR_PORT" >"$dir/serve.log" 2>&1 &
  local pid=$!; PIDS+=($pid)
  for _ in $(seq 300); do curl -sf "http://$HOST:$CENTAUR_PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  local url="http://$HOST:$CENTAUR_PORT" results=()
  for key in "$plain" "$budgeted"; do
    WRK_AUTH="$key" wrk -t1 -c16 -d3s --timeout 10s -s "$SHARED/post.lua" "$url" >/dev/null  # warm
    local out; out=$(WRK_AUTH="$key" wrk -t1 -c"$CONNS" -d"${DUR}s" --timeout 10s -s "$SHARED/post.lua" "$url")
    results+=("$(echo "$out" | sed -n 's/.*rps=\([0-9.]*\).*/\1/p' | head -1)")
    local errors; errors=$(echo "$out" | sed -n 's/.*err_status=\([0-9]*\).*/\1/p' | head -1)
    [ "${errors:-0}" = 0 ] || log "$name: $errors requests answered with an error status"
  done
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  echo "${results[0]} ${results[1]}"
}

log "(2) gateway, $CONNS connections, ${DUR}s each"
read -r SQ_PLAIN SQ_BUDGET < <(gateway sqlite sqlite "")
log "SQLite: $SQ_PLAIN rps (no budget), $SQ_BUDGET rps (budgeted)"
read -r SQ_FAST _ < <(gateway sqlitefast sqlite "traces: { durable: false }")
log "SQLite, traces not durable: $SQ_FAST rps"
read -r PG_PLAIN PG_BUDGET < <(gateway postgres "$PG_URL" "")
log "PostgreSQL: $PG_PLAIN rps (no budget), $PG_BUDGET rps (budgeted)"
python3 - "$OUT" "$CONNS" "$SQ_PLAIN" "$SQ_BUDGET" "$SQ_FAST" "$PG_PLAIN" "$PG_BUDGET" <<'PY'
import sys
out, conns, sq, sqb, sqf, pg, pgb = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:])
per = lambda rps: 1000.0 / rps * int(conns)  # ms of wall time per request at this concurrency
with open(out, "a") as f:
    f.write(f"## The gateway (`centaur serve`, release, wrk {conns} connections, non-streamed chat)\n\n")
    f.write("| database | no budget (rps) | budgeted (rps) | budgeted ÷ no budget |\n|---|---|---|---|\n")
    f.write(f"| SQLite | {sq:.0f} | {sqb:.0f} | {sqb / sq:.2f} |\n| PostgreSQL | {pg:.0f} | {pgb:.0f} | {pgb / pg:.2f} |\n\n")
    f.write(f"PostgreSQL ÷ SQLite: {pg / sq:.2f} without a budget, {pgb / sqb:.2f} with one. ")
    f.write(f"Budget reservation overhead per request: {per(sqb) - per(sq):+.2f} ms on SQLite (in process), "
            f"{per(pgb) - per(pg):+.2f} ms on PostgreSQL (a reserve and a settle, one statement each, all requests on one key).\n\n")
    f.write(f"SQLite with `traces.durable: false`: {sqf:.0f} rps; durable ÷ not durable = {sq / sqf:.2f}.\n")
PY
cat "$OUT"
