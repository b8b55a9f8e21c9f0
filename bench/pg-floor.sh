#!/usr/bin/env bash
# The floor under 1:1 throughput: PostgreSQL alone writing what the pod's writer writes for
# each private message (its idempotency key and its row, with the schema's indexes and
# counter triggers), through the writer's own statements (`write-floor`: 4 connections as the
# writer's 4 shards, each with conversations of its own), with no pod in front. Then the same
# with parts of the schema taken away, to see what each costs.
# Prints a Markdown table: rows/s and PostgreSQL CPU per message (µs, from /proc).
#
#   bench/pg-floor.sh                 # batches of 100 (as at saturation) and 18 (10,000 msg/s)
#   BATCHES="100" SECONDS_EACH=15 VARIANTS="schema bare schema bare" bench/pg-floor.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/imcluster-target}"
BATCHES="${BATCHES:-100 18}"
SECONDS_EACH="${SECONDS_EACH:-10}"
PSQL=(psql -q -h 127.0.0.1 -U postgres)
URL=postgres://postgres@127.0.0.1:5432/imfloor
cargo build --release -q -p imcluster -p imcluster-bench

pg_ticks() { # CPU ticks of every PostgreSQL process so far, and of those that ended (the
  # postmaster's reaped children: a run's backends end with it)
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk '$2 == "(postgres)" {s += $14 + $15 + $16 + $17} END {print s + 0}'
}

fresh() { # a migrated database
  "${PSQL[@]}" -d test -c "DROP DATABASE IF EXISTS imfloor WITH (FORCE)" -c "CREATE DATABASE imfloor"
  IMCLUSTER_DATABASE__URL=$URL "$CARGO_TARGET_DIR/release/imcluster" migrate up >/dev/null
}

# What each variant takes away from the migrated schema.
declare -A DROP=(
  [schema]=""
  [no-search]='DROP INDEX "IX_AppUserMessages_Content_Search"'
  [no-search-no-counters]='DROP INDEX "IX_AppUserMessages_Content_Search"; DROP TRIGGER "AppUserMessages_Count" ON "AppUserMessages"'
  [bare]='DO $$ DECLARE i record; BEGIN
      FOR i IN SELECT indexname FROM pg_indexes WHERE tablename IN ($t$AppUserMessages$t$, $t$AppClientMessageIds$t$)
        AND indexname NOT LIKE $t$%pkey$t$ AND indexname NOT LIKE $t$UX_AppClientMessageIds_Key$t$ LOOP
        EXECUTE format($f$DROP INDEX %I$f$, i.indexname); END LOOP; END $$;
    DROP TRIGGER "AppUserMessages_Count" ON "AppUserMessages"'
)

echo "| schema | batch | messages/s | PostgreSQL CPU per message, µs | PostgreSQL cores |"
echo "|---|---|---|---|---|"
for batch in $BATCHES; do
  for variant in ${VARIANTS:-schema no-search no-search-no-counters bare}; do
    fresh >/dev/null
    [[ -n ${DROP[$variant]} ]] && "${PSQL[@]}" -d imfloor -c "${DROP[$variant]}"
    "$CARGO_TARGET_DIR/release/write-floor" "$URL" "$batch" 2 >/dev/null # a warm-up
    before=$(pg_ticks)
    rate=$("$CARGO_TARGET_DIR/release/write-floor" "$URL" "$batch" "$SECONDS_EACH")
    after=$(pg_ticks)
    python3 - "$variant" "$batch" "$rate" "$before" "$after" "$SECONDS_EACH" <<'PY'
import sys
variant, batch, rate, before, after, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
cpu = (after - before) / 100.0
print(f"| {variant} | {batch} | {rate:,.0f} | {cpu / (rate * seconds) * 1e6:.1f} | {cpu / seconds:.2f} |")
PY
  done
done
"${PSQL[@]}" -d test -c "DROP DATABASE IF EXISTS imfloor WITH (FORCE)"
