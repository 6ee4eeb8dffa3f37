#!/usr/bin/env bash
# Load benchmark (issue 4 §5), printed, not asserted. Starts a release `fundledger serve`
# and runs the load generator on the public queries and on requestDrawdown, beside the
# raw-SQL baseline of a command on the same server. Prints req/s, p50 and p99.
#
#   SEED_EVENTS=1000000 bash tests/bench/run.sh   # PostgreSQL with a 1M-event history
#   STORE=postgres bash tests/bench/run.sh        # demo data on PostgreSQL
#   bash tests/bench/run.sh                       # demo data on SQLite
#   DATABASE_URL=postgres://…/bench SEEDED=1 bash tests/bench/run.sh   # rerun on a store
#                                                 # seeded before (SEED_EVENTS with DATABASE_URL)
# Knobs: CONNECTIONS=64, SECONDS_PER_RUN=10, BIN=dir-with-release-binaries (skips the build),
# GEOGRAPHY=csv (default ../shared/geo/england-lsoa-imd2019.csv when present),
# OPERATIONS="neighbourhood page awards" (the public reads measured; `page` is the area
# page `GET /areas/{code}`, beside `neighbourhood`, the GraphQL query of its figures),
# WRITES=0 (skip requestDrawdown and the SQL baseline), SEED_AWARDS=file (keeps the seeded
# awards list, which a SEEDED rerun needs for the writes), PORT=18181.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${CONNECTIONS:=64}" "${SECONDS_PER_RUN:=10}" "${STORE:=sqlite}" "${SEED_EVENTS:=}" "${SEEDED:=}"
: "${OPERATIONS:=neighbourhood page awards}" "${WRITES:=1}" "${PORT:=18181}"
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p fundledger-api -p fundledger-tests --bins
  BIN=target/release
fi
GEOGRAPHY=${GEOGRAPHY:-../shared/geo/england-lsoa-imd2019.csv}
[ -f "$GEOGRAPHY" ] || GEOGRAPHY=api/demo/geography.csv
[ -n "$SEED_EVENTS$SEEDED" ] && STORE=postgres
WORK=$(mktemp -d)
cleanup() {
  kill "${SERVER:-0}" 2>/dev/null && wait "${SERVER}" 2>/dev/null || true
  if [ -n "${NAME:-}" ]; then
    psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $NAME WITH (FORCE)" || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
if [ -z "${DATABASE_URL:-}" ]; then
  if [ "$STORE" = postgres ]; then
    NAME="fundledger_bench_$$"
    psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $NAME"
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$NAME"
  else
    export DATABASE_URL="sqlite://$WORK/bench.db"
  fi
fi
export FUNDLEDGER_JWT_SECRET="${FUNDLEDGER_JWT_SECRET:-bench-secret-$(date +%s%N)-0123456789abcdef}"
URL=http://127.0.0.1:$PORT/graphql
SEED_AWARDS=${SEED_AWARDS:-$WORK/awards.txt}

if [ -n "$SEED_EVENTS" ]; then
  "$BIN/fundledger-seed" --events "$SEED_EVENTS" --geography "$GEOGRAPHY" \
    --print-awards "$CONNECTIONS" > "$SEED_AWARDS"
  start=$(date +%s.%N)
  "$BIN/fundledger" rebuild >/dev/null
  echo "rebuild of the projections: $(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')") s"
  # A store that has been running is vacuumed; one just bulk-loaded is not, and
  # autovacuum's pass over the million new events would otherwise run during the
  # measurements (seen: a p99 of 22 ms in the first run). Settle it first.
  # CHECKPOINT then writes out what the vacuum dirtied, before the runs rather than during.
  psql "$DATABASE_URL" -qc "VACUUM (ANALYZE)" -c "CHECKPOINT"
elif [ -z "$SEEDED" ]; then
  "$BIN/fundledger" import geography "$GEOGRAPHY" >/dev/null
fi
DEMO=--demo
[ -n "$SEED_EVENTS$SEEDED" ] && DEMO=
# With PIN=1 (the default on machines of 2+ cores with taskset) the server runs on every
# core but the last and the load generator on the last, as if it were another machine:
# unpinned, the client's threads preempt the server's and the preemptions are the p99.
: "${PIN:=$([ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null && echo 1 || echo 0)}"
SERVER_CPUS=() CLIENT_CPUS=()
if [ "$PIN" = 1 ]; then
  LAST=$(( $(nproc) - 1 ))
  SERVER_CPUS=(taskset -c "0-$(( LAST - 1 ))") CLIENT_CPUS=(taskset -c "$LAST")
fi
"${SERVER_CPUS[@]}" "$BIN/fundledger" serve $DEMO --listen "127.0.0.1:$PORT" > "$WORK/serve.out" 2> "$WORK/serve.err" &
SERVER=$!
until curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; do
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/serve.err"; exit 1; }
  sleep 0.5
done
EVENTS=$(curl -fsS "http://127.0.0.1:$PORT/metrics" | awk '/^fundledger_event_log_head_position/ {print $2}')
echo "store: ${DATABASE_URL%%:*}, events: $EVENTS, connections: $CONNECTIONS, geography: $GEOGRAPHY, load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# Public queries: one hot area (Kingston upon Hull), then every local authority in turn,
# each with and without the server's public query cache.
HOT=E06000010
LADS=$(psql "$DATABASE_URL" -Atc "SELECT string_agg(code, ',') FROM geography WHERE level = 'lad'" 2>/dev/null || true)
[ -n "$LADS" ] || LADS=$HOT
run() { "${CLIENT_CPUS[@]}" "$BIN/fundledger-loadgen" --url "$URL" --connections "$CONNECTIONS" --seconds "$SECONDS_PER_RUN" "$@"; }
# The public queries are driven by wrk (Debian package `wrk`) when it is installed: one
# thread of C is far lighter than the Rust client, and the client shares the server's
# two cores here. WRK_THREADS=1 by default; PUBLIC_CLIENT=loadgen forces the Rust client.
: "${PUBLIC_CLIENT:=$(command -v wrk >/dev/null && echo wrk || echo loadgen)}" "${WRK_THREADS:=1}"
# Cached runs are measured after a WARMUP_SECONDS (2) unmeasured pass that fills the cache
# with every area's answer: they measure a warm cache; the uncached runs show the cold cost.
: "${WARMUP_SECONDS:=2}"
public() { # OPERATION CODES [uncached]
  if [ "$PUBLIC_CLIENT" = wrk ]; then
    local uncached
    uncached=$([ -n "${3:-}" ] && echo 1 || echo 0)
    if [ "$uncached" = 0 ] && [ "$1" = page ]; then
      # A page costs far more to render than an answer: 2 s of load do not reach all
      # 317 pages, so each is asked for once first (4 at a time).
      tr ',' '\n' <<< "$2" | xargs -P 4 -I{} curl -fsS -o /dev/null "http://127.0.0.1:$PORT/areas/{}"
    fi
    if [ "$uncached" = 0 ] && [ "$WARMUP_SECONDS" -gt 0 ]; then
      OPERATION=$1 CODES=$2 "${CLIENT_CPUS[@]}" wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "${WARMUP_SECONDS}s" \
        --timeout 10s -s tests/bench/public.lua "$URL" >/dev/null
    fi
    OPERATION=$1 CODES=$2 UNCACHED=$uncached \
      "${CLIENT_CPUS[@]}" wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "${SECONDS_PER_RUN}s" --timeout 10s \
      -s tests/bench/public.lua "$URL" | grep '^wrk '
  else
    run --operation "$1" --codes "$2" ${3:+--uncached}
  fi
}
echo "public queries driven by: $PUBLIC_CLIENT; pinned: $PIN ${SERVER_CPUS[*]:-} ${CLIENT_CPUS[*]:-}"
for operation in $OPERATIONS; do
  public "$operation" "$HOT"
  public "$operation" "$LADS"
  public "$operation" "$LADS" uncached
done
echo "load average after the public reads: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$WRITES" = 1 ] || exit 0

# requestDrawdown: each connection draws £0.01 at a time on an award of its own.
ADMIN=$("$BIN/fundledger" token --role admin --subject bench-officer)
if [ -z "$SEED_EVENTS$SEEDED" ]; then
  # Demo data: make CONNECTIONS fresh £1,000,000 awards, each for its own organisation.
  gql() { # TOKEN QUERY → prints the response
    python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1]}))' "$2" |
      curl -fsS "$URL" -H 'content-type: application/json' -H "authorization: Bearer $1" --data @-
  }
  field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d" + sys.argv[1]))' "$1"; }
  FUND=$(gql "$ADMIN" 'mutation { establishFund(input: {name: "Bench", funderOrgId: "GB-CHC-1", funderName: "B"}) { fund { id } } }' | field '["data"]["establishFund"]["fund"]["id"]')
  gql "$ADMIN" "mutation { receiveCapital(input: {fundId: \"$FUND\", amount: \"100000000.00\", source: \"s\", receivedOn: \"$(TZ=Europe/London date +%F)\"}) { position } }" >/dev/null
  ROUND=$(gql "$ADMIN" "mutation { openRound(input: {fundId: \"$FUND\", name: \"Bench\", budget: \"90000000.00\", opensOn: \"2020-01-01\", closesOn: \"2099-12-31\", eligibleAreas: [], themes: [], decisionMode: PANEL}) { round { id } } }" | field '["data"]["openRound"]["round"]["id"]')
  for i in $(seq 1 "$CONNECTIONS"); do
    ORG=$(printf 'GB-CHC-%07d' "$i")
    GRANTEE=$("$BIN/fundledger" token --role grantee --subject "bench-$i" --org "$ORG")
    APP=$(gql "$GRANTEE" "mutation { submitApplication(input: {roundId: \"$ROUND\", title: \"Bench\", description: \"d\", amountRequested: \"1000000.00\", neighbourhood: \"E01012345\", themes: [], applicantName: \"Bench Org $i\"}) { application { id } } }" | field '["data"]["submitApplication"]["application"]["id"]')
    AWARD=$(gql "$ADMIN" "mutation { approveApplication(input: {applicationId: \"$APP\", amount: \"1000000.00\"}) { award { id } } }" | field '["data"]["approveApplication"]["award"]["id"]')
    gql "$GRANTEE" "mutation { acceptAgreement(input: {awardId: \"$AWARD\"}) { position } }" >/dev/null
    echo "$AWARD $GRANTEE" >> "$WORK/targets.txt"
  done
else
  [ -s "$SEED_AWARDS" ] || { echo "no seeded awards list ($SEED_AWARDS): no writes measured"; exit 0; }
  while read -r AWARD ORG; do
    echo "$AWARD $("$BIN/fundledger" token --role grantee --subject "bench-$ORG" --org "$ORG")" >> "$WORK/targets.txt"
  done < "$SEED_AWARDS"
fi
run --operation drawdown --targets "$WORK/targets.txt"
if [ "$STORE" = postgres ]; then
  run --operation sql-baseline --database-url "$DATABASE_URL"
fi
