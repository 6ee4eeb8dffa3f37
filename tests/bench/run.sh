#!/usr/bin/env bash
# Load benchmark (issue 4 §5): starts a release `fundledger serve` over a fresh store,
# loads the demo data (or uses an existing store given by DATABASE_URL), and runs the
# load generator on the public queries and on requestDrawdown. Prints req/s, p50, p99.
# Not asserted anywhere; run by hand:  bash tests/bench/run.sh
#   STORE=postgres (default sqlite), CONNECTIONS=64, SECONDS_PER_RUN=10,
#   BIN=dir-with-release-binaries (skips the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${CONNECTIONS:=64}" "${SECONDS_PER_RUN:=10}" "${STORE:=sqlite}"
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p fundledger-api -p fundledger-tests --bins
  BIN=target/release
fi
WORK=$(mktemp -d)
trap 'kill ${SERVER:-0} 2>/dev/null || true; rm -rf "$WORK"' EXIT
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
"$BIN/fundledger" import geography api/demo/geography.csv >/dev/null 2>&1 || true
"$BIN/fundledger" serve --demo --listen 127.0.0.1:18181 > "$WORK/serve.out" 2> "$WORK/serve.err" &
SERVER=$!
for _ in $(seq 1 600); do
  grep -q "fundledger serving" "$WORK/serve.out" 2>/dev/null && break
  sleep 0.5
done
until curl -fsS http://127.0.0.1:18181/readyz >/dev/null 2>&1; do sleep 0.5; done
URL=http://127.0.0.1:18181/graphql
EVENTS=$(curl -fsS http://127.0.0.1:18181/metrics | awk '/^fundledger_event_log_head_position/ {print $2}')
echo "store: ${DATABASE_URL%%:*}, events: $EVENTS, connections: $CONNECTIONS"
"$BIN/fundledger-loadgen" --url "$URL" --operation neighbourhood --code E06000010 --connections "$CONNECTIONS" --seconds "$SECONDS_PER_RUN"
"$BIN/fundledger-loadgen" --url "$URL" --operation awards --code E06000010 --connections "$CONNECTIONS" --seconds "$SECONDS_PER_RUN"
# requestDrawdown: a fresh £1,000,000 award of its own, drawn down a penny at a time.
ADMIN=$("$BIN/fundledger" token --role admin --subject bench-officer)
ORG=GB-CHC-9999999
GRANTEE=$("$BIN/fundledger" token --role grantee --subject bench --org "$ORG")
gql() { # TOKEN QUERY → prints the response
  python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1]}))' "$2" |
    curl -fsS "$URL" -H 'content-type: application/json' -H "authorization: Bearer $1" --data @-
}
field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d" + sys.argv[1]))' "$1"; }
FUND=$(gql "$ADMIN" 'mutation { establishFund(input: {name: "Bench", funderOrgId: "GB-CHC-1", funderName: "B"}) { fund { id } } }' | field '["data"]["establishFund"]["fund"]["id"]')
gql "$ADMIN" "mutation { receiveCapital(input: {fundId: \"$FUND\", amount: \"2000000.00\", source: \"s\", receivedOn: \"2026-01-01\"}) { position } }" >/dev/null
ROUND=$(gql "$ADMIN" "mutation { openRound(input: {fundId: \"$FUND\", name: \"Bench\", budget: \"1500000.00\", opensOn: \"2020-01-01\", closesOn: \"2099-12-31\", eligibleAreas: [], themes: [], decisionMode: PANEL}) { round { id } } }" | field '["data"]["openRound"]["round"]["id"]')
APP=$(gql "$GRANTEE" "mutation { submitApplication(input: {roundId: \"$ROUND\", title: \"Bench\", description: \"d\", amountRequested: \"1000000.00\", neighbourhood: \"E01012345\", themes: [], applicantName: \"Bench Org\"}) { application { id } } }" | field '["data"]["submitApplication"]["application"]["id"]')
AWARD=$(gql "$ADMIN" "mutation { approveApplication(input: {applicationId: \"$APP\", amount: \"1000000.00\"}) { award { id } } }" | field '["data"]["approveApplication"]["award"]["id"]')
gql "$GRANTEE" "mutation { acceptAgreement(input: {awardId: \"$AWARD\"}) { position } }" >/dev/null
TOKEN=$GRANTEE
"$BIN/fundledger-loadgen" --url "$URL" --operation drawdown --award "$AWARD" --token "$TOKEN" --connections "$CONNECTIONS" --seconds "$SECONDS_PER_RUN"
if [ -n "${NAME:-}" ]; then
  kill "$SERVER"; wait "$SERVER" || true
  psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $NAME WITH (FORCE)"
fi
