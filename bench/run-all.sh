#!/usr/bin/env bash
# The full run behind BENCHMARKS.md: every scenario of the load generator against imcluster
# (PostgreSQL, SQLite, two pods behind Redis), the Socket.IO 4 relay with the Redis adapter,
# and the bare relay, one after another on this machine. Results go to $OUT as Markdown and
# JSON, one file pair per run. Needs PostgreSQL and Redis as .ci/run starts them, and Node.
#
#   bench/run-all.sh            # everything (about 15 minutes on 2 cores)
#   ONLY="chat fanout" bench/run-all.sh   # some groups: idle chat fanout crosspod storm churn
#   ONLY=flood bench/run-all.sh # chat latency with and without flooding connections beside it
#   ONLY=soak bench/run-all.sh  # 30 minutes of chat at 10,000/s with churn beside it (SOAK_SECONDS)
#   ONLY=ab BASELINE=/path/to/imcluster bench/run-all.sh  # 1:1, fan-out and two-pod 1:1, this
#                               # build and another one alternating in one run (ROUNDS, default 2)
#   ONLY=reactions bench/run-all.sh  # 1:1 at 10,000/s alone and with 5,000 reactions/s beside
#                               # it, alternating in one run (ROUNDS; CHAT_RATE, REACTION_RATE)
#   ONLY=hooks bench/run-all.sh # 1:1 at 10,000/s without hooks, with a before-send hook answering
#                               # in about 1 ms (DELAY_MS), with after-event webhooks one event a
#                               # call and EVENTS_PER_POST (100) a call, taking turns (ROUNDS;
#                               # CHAT_RATE; SIDES); how long the outbox takes to drain
#   ONLY=push bench/run-all.sh  # 1:1 at 10,000/s to receivers who are all offline with a push
#                               # token, push off and push on (a webhook), taking turns (ROUNDS)
#   ONLY=upload bench/run-all.sh  # 200 uploads of a 1 MiB picture, 1, 4 and 8 at a time:
#                               # MB/s, thumbnails/s, server memory per concurrent upload
#   ONLY=pictures bench/run-all.sh  # 1:1 at 10,000/s alone and with 1 MiB pictures uploaded
#                               # beside it, UPLOADERS (4) at a time, taking turns (ROUNDS)
#   ONLY=retention bench/run-all.sh  # 1:1 at 10,000/s while retention deletes ROWS (500,000)
#                               # old messages, and with retention off
#   ONLY=sixpod bench/run-all.sh  # six pods on a Redis Cluster (three primaries, three replicas):
#                                # cross-pod 1:1 and a group of 1,000; SPUBLISH per message and
#                                # per shard, CPU per pod and per Redis primary (sixpod.md;
#                                # the raw counters in sixpod-raw.txt)
#   ONLY=notify bench/run-all.sh  # a notification to 10,000 subscribers, 2,000 of them online,
#                               # on PostgreSQL (SUBSCRIBERS, ONLINE, ROUNDS)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/imcluster-target}"
BIN="$CARGO_TARGET_DIR/release"
OUT="$(realpath -m "${OUT:-bench/results}")"
ONLY="${ONLY:-idle chat fanout crosspod storm churn}"
SECRET=loadgen-secret-loadgen-secret-0123456789
PG=postgres://postgres@127.0.0.1:5432
REDIS=redis://127.0.0.1:6379
mkdir -p "$OUT"
[[ -n ${NO_BUILD:-} ]] || cargo build --release -q -p imcluster -p imcluster-bench # NO_BUILD=1: as built
(cd bench/peer && npm ci --no-audit --no-fund --loglevel=error)

NS=bench$$ # one cluster namespace for the pods (and one for the relays) of this run
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

fresh_pg() { # a new empty database for a run
  psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS imload WITH (FORCE)" -c "CREATE DATABASE imload"
  DB=$PG/imload
}
wait_ready() { # url
  for _ in $(seq 1 100); do curl -fs "$1/ready" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "$1 did not get ready" >&2; return 1
}
# Pods run in $OUT, so only the settings below apply (not the checkout's cluster.toml). The
# connection cap is raised to 19,500 so the idle run can hold 19,000 (the default, seven eighths
# of the 20,000 open files this machine allows, is 17,500).
pod() { # node id, port, [redis url]: starts an imcluster pod on $DB, sets POD_PID
  IMCLUSTER_DATABASE__URL=$DB IMCLUSTER_DATABASE__MAX_CONNECTIONS=16 IMCLUSTER_JWT__SECRET=$SECRET \
    IMCLUSTER_NODE__ID=$1 IMCLUSTER_NODE__LISTEN=127.0.0.1:$2 IMCLUSTER_LOG__LEVEL=${POD_LOG:-warn} \
    IMCLUSTER_REDIS__URL=${3:-} IMCLUSTER_REDIS__CLUSTER_URLS=${CLUSTER:-[]} IMCLUSTER_REDIS__NAMESPACE=$NS \
    IMCLUSTER_LIMITS__RATE_PER_SECOND=${RATE:-5000} IMCLUSTER_LIMITS__RATE_BURST=${BURST:-10000} \
    IMCLUSTER_LIMITS__MAX_GROUP_SIZE=20000 IMCLUSTER_NODE__MAX_CONNECTIONS=19500 \
    bash -c "cd '$OUT' && exec '${IMBIN:-$BIN/imcluster}' serve" >"$OUT/pod-$2.log" 2>&1 &
  POD_PID=$!; PIDS+=("$POD_PID")
  wait_ready "http://127.0.0.1:$2"
}
sio() { # port, [redis url]: a Socket.IO relay process
  PEER_NAMESPACE=$NS node bench/peer/socketio-relay.mjs "$1" ${2:-} >"$OUT/sio-$1.log" 2>&1 &
  PIDS+=("$!"); sleep 1
}
bare() { "$BIN/bare-relay" 127.0.0.1:8090 >"$OUT/bare.log" 2>&1 & PIDS+=("$!"); sleep 0.5; }
stop_all() { cleanup; wait 2>/dev/null || true; PIDS=(); }
# A scenario whose generator stops (its target died mid-run, say) is reported as that
# scenario's result, and the run goes on with the next.
run() { # name, loadgen args...
  local name=$1; shift
  echo "== $name: loadgen $*"
  if ! "$BIN/loadgen" --json "$OUT/$name.json" "$@" 2> >(tee "$OUT/$name.err" >&2) | tee "$OUT/$name.md"; then
    local why
    why=$(grep -m1 -E "panicked|rror" "$OUT/$name.err" | head -c 300 || true)
    echo "**$name did not finish**: the generator stopped (${why:-no message}); the target may have died." | tee -a "$OUT/$name.md"
    python3 -c 'import json,sys; print(json.dumps({"scenario": sys.argv[1], "error": sys.argv[2]}))' "$name" "${why:-stopped}" >"$OUT/$name.json"
  fi
}
lg() { echo --db "$DB" --secret "$SECRET"; }

if [[ $ONLY == *idle* ]]; then
  fresh_pg; pod 1 8101
  run idle-19000 $(lg) --url http://127.0.0.1:8101 --server-pid "$POD_PID" idle --connections 19000 --hold 5
  stop_all
fi

if [[ $ONLY == *chat* ]]; then
  fresh_pg; pod 1 8101
  run chat-pg-10k $(lg) --url http://127.0.0.1:8101 chat --pairs 200 --rate 10000 --duration 10
  run chat-pg-max $(lg) --url http://127.0.0.1:8101 chat --pairs 200 --rate 40000 --duration 10
  stop_all
  rm -rf /tmp/imload-sqlite && mkdir -p /tmp/imload-sqlite; DB="sqlite:///tmp/imload-sqlite/im.db?mode=rwc"; pod 1 8101
  run chat-sqlite-max $(lg) --url http://127.0.0.1:8101 chat --pairs 200 --rate 40000 --duration 10
  stop_all
  sio 3001
  run chat-socketio-10k --target socketio --url http://127.0.0.1:3001 chat --pairs 200 --rate 10000 --duration 10
  run chat-socketio-max --target socketio --url http://127.0.0.1:3001 chat --pairs 200 --rate 40000 --duration 10
  stop_all
  bare
  run chat-bare-10k --target bare --url http://127.0.0.1:8090 chat --pairs 200 --rate 10000 --duration 10
  run chat-bare-max --target bare --url http://127.0.0.1:8090 chat --pairs 200 --rate 80000 --duration 10
  stop_all
fi

if [[ $ONLY == *fanout* ]]; then
  fresh_pg; pod 1 8101
  run fanout-100 $(lg) --url http://127.0.0.1:8101 fanout --members 100 --rate 1000 --duration 10
  run fanout-1000 $(lg) --url http://127.0.0.1:8101 fanout --members 1000 --rate 400 --duration 10
  run fanout-1000-700 $(lg) --url http://127.0.0.1:8101 fanout --members 1000 --rate 700 --duration 10
  run fanout-1000-1000 $(lg) --url http://127.0.0.1:8101 fanout --members 1000 --rate 1000 --duration 10
  run fanout-10000 $(lg) --url http://127.0.0.1:8101 fanout --members 10000 --rate 40 --duration 10
  stop_all
  sio 3001
  run fanout-1000-socketio --target socketio --url http://127.0.0.1:3001 fanout --members 1000 --rate 400 --duration 10
  stop_all
  bare
  run fanout-1000-bare --target bare --url http://127.0.0.1:8090 fanout --members 1000 --rate 400 --duration 10
  stop_all
fi

if [[ $ONLY == *crosspod* ]]; then
  fresh_pg; pod 1 8101 $REDIS; pod 2 8102 $REDIS
  TWO=http://127.0.0.1:8101,http://127.0.0.1:8102
  run crosspod-chat-10k $(lg) --url $TWO chat --pairs 200 --rate 10000 --duration 10
  run crosspod-chat-max $(lg) --url $TWO chat --pairs 200 --rate 40000 --duration 10
  run crosspod-fanout-1000 $(lg) --url $TWO fanout --members 1000 --rate 400 --duration 10
  stop_all
  sio 3001 $REDIS; sio 3002 $REDIS
  SIO=http://127.0.0.1:3001,http://127.0.0.1:3002
  run crosspod-chat-socketio-10k --target socketio --url $SIO chat --pairs 200 --rate 10000 --duration 10
  run crosspod-chat-socketio-max --target socketio --url $SIO chat --pairs 200 --rate 40000 --duration 10
  run crosspod-fanout-1000-socketio --target socketio --url $SIO fanout --members 1000 --rate 400 --duration 10
  stop_all
fi

redis_cluster() { # three primaries with a replica each on 7101-7106; sets CLUSTER
  local dir; dir=$(mktemp -d /tmp/imbench-rc.XXXX)
  for p in 7101 7102 7103 7104 7105 7106; do
    mkdir -p "$dir/$p"
    redis-server --port $p --bind 127.0.0.1 --cluster-enabled yes --cluster-node-timeout 2000 \
      --cluster-config-file nodes.conf --save "" --appendonly no --repl-diskless-sync-delay 0 \
      --dir "$dir/$p" --logfile redis.log &
    PIDS+=("$!")
  done
  for p in 7101 7102 7103 7104 7105 7106; do
    for _ in $(seq 1 50); do redis-cli -p $p ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  redis-cli --cluster create 127.0.0.1:7101 127.0.0.1:7102 127.0.0.1:7103 127.0.0.1:7104 \
    127.0.0.1:7105 127.0.0.1:7106 --cluster-replicas 1 --cluster-yes >/dev/null
  for p in 7101 7102 7103 7104 7105 7106; do
    for _ in $(seq 1 100); do redis-cli -p $p cluster info | grep -q cluster_state:ok && break; sleep 0.1; done
  done
  CLUSTER='["redis://127.0.0.1:7101","redis://127.0.0.1:7102","redis://127.0.0.1:7103"]'
}
# One line of counters: per Redis primary (SPUBLISH calls, CPU seconds), per pod (CPU ticks),
# and messages stored by all pods.
counters() { # pod pids...
  local line=""
  for p in 7101 7102 7103 7104 7105 7106; do
    if redis-cli -p $p role | head -1 | grep -q master; then
      local calls cpu
      calls=$(redis-cli -p $p info commandstats | sed -n 's/^cmdstat_spublish:calls=\([0-9]*\),.*/\1/p')
      cpu=$(redis-cli -p $p info cpu | awk -F: '/^used_cpu_(sys|user):/ {s+=$2} END {print s}')
      line+="redis:$p:${calls:-0}:$cpu "
    fi
  done
  for pid in "$@"; do line+="pod:$pid:$(awk '{print $14+$15}' /proc/$pid/stat) "; done
  local stored=0
  for port in 8101 8102 8103 8104 8105 8106; do
    stored=$((stored + $(curl -fs http://127.0.0.1:$port/metrics | awk '/^im_messages_stored_total/ {s+=$2} END {print int(s)}')))
  done
  echo "${line}stored:$stored"
}
# A markdown table from two `counters` lines taken around a run of $3 seconds.
per_message() { # name, before, after, seconds
  python3 - "$@" <<'PY'
import sys
name, before, after, seconds = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), float(sys.argv[4])
def parse(items):
    # redis:PORT:CALLS:CPU, pod:PID:TICKS, stored:N
    d = {}
    for it in items:
        parts = it.split(':')
        key = 'stored' if parts[0] == 'stored' else parts[0] + ':' + parts[1]
        d[key] = parts[1:]
    return d
b, a = parse(before), parse(after)
stored = int(a['stored'][0]) - int(b['stored'][0])
print(f"### {name}: {stored:,} messages stored in {seconds:.0f} s ({stored/seconds:,.0f}/s)")
print("| what | total | per message | per second |\n|---|---|---|---|")
pub = 0
for k in sorted(a):
    if k.startswith('redis'):
        calls = int(a[k][1]) - int(b[k][1]) if k in b else 0
        cpu = float(a[k][2]) - float(b[k][2]) if k in b else 0
        pub += calls
        print(f"| Redis primary {k.split(':')[1]}: SPUBLISH | {calls:,} | {calls/max(stored,1):.2f} | {calls/seconds:,.0f} |")
        print(f"| Redis primary {k.split(':')[1]}: CPU s | {cpu:.2f} | {cpu/max(stored,1)*1e6:.1f} µs | {cpu/seconds*100:.0f} % of a core |")
print(f"| SPUBLISH, all shards | {pub:,} | {pub/max(stored,1):.2f} | {pub/seconds:,.0f} |")
total = 0.0
for k in sorted(a):
    if k.startswith('pod'):
        ticks = int(a[k][1]) - int(b[k][1])
        cpu = ticks / 100
        total += cpu
        print(f"| pod (pid {k.split(':')[1]}): CPU s | {cpu:.2f} | {cpu/max(stored,1)*1e6:.1f} µs | {cpu/seconds*100:.0f} % of a core |")
print(f"| all six pods: CPU s | {total:.2f} | {total/max(stored,1)*1e6:.1f} µs | {total/seconds*100:.0f} % of a core |")
print()
PY
}

if [[ $ONLY == *sixpod* ]]; then
  fresh_pg; redis_cluster
  SIX=""; SIXPIDS=()
  for i in 1 2 3 4 5 6; do
    CLUSTER=$CLUSTER pod $i 810$i; SIXPIDS+=("$POD_PID"); SIX+="${SIX:+,}http://127.0.0.1:810$i"
  done
  for scenario in "chat-10k chat --pairs 300 --rate 10000 --duration 10" \
                  "chat-max chat --pairs 300 --rate 40000 --duration 10" \
                  "fanout-1000 fanout --members 1000 --rate 200 --duration 10"; do
    set -- $scenario; name=sixpod-$1; shift
    before=$(counters "${SIXPIDS[@]}")
    start=$(date +%s.%N)
    run "$name" $(lg) --url "$SIX" "$@"
    after=$(counters "${SIXPIDS[@]}")
    printf '%s\n%s\n' "$before" "$after" >>"$OUT/sixpod-raw.txt"
    per_message "$name" "$before" "$after" "$(echo "$(date +%s.%N) - $start" | bc)" | tee -a "$OUT/sixpod.md"
  done
  stop_all
fi

if [[ $ONLY == *storm* ]]; then
  fresh_pg; pod 1 8101
  run storm-2000x100 $(lg) --url http://127.0.0.1:8101 storm --users 2000 --missed 100
  stop_all
  fresh_pg; pod 1 8101
  run storm-10000x100 $(lg) --url http://127.0.0.1:8101 storm --users 10000 --missed 100
  stop_all
fi
if [[ $ONLY == *churn* ]]; then
  fresh_pg; pod 1 8101
  run churn-10000x10 $(lg) --url http://127.0.0.1:8101 --server-pid "$POD_PID" churn --connections 10000 --rounds 10
  stop_all
fi

if [[ $ONLY == *flood* ]]; then
  # The default per-connection limit (50 frames/s, bursts of 100), as every user gets it.
  fresh_pg; RATE=50 BURST=100 pod 1 8101
  run flood-none $(lg) --url http://127.0.0.1:8101 chat --pairs 200 --rate 2000 --duration 10
  run flood-4x20000 $(lg) --url http://127.0.0.1:8101 chat --pairs 200 --rate 2000 --duration 10 --flooders 4 --flood-rate 20000
  run flood-none-again $(lg) --url http://127.0.0.1:8101 chat --pairs 200 --rate 2000 --duration 10
  stop_all
fi

if [[ $ONLY == *soak* ]]; then
  SOAK=${SOAK_SECONDS:-1800}
  fresh_pg; pod 1 8101
  # The churn starts once the chat's 400 connections are open (each round counts the sessions
  # that are not its own before it opens any).
  (sleep 20; exec "$BIN/loadgen" $(lg) --url http://127.0.0.1:8101 --server-pid "$POD_PID" --json "$OUT/soak-churn.json" \
    churn --connections 1000 --rounds 1000000 --seconds "$((SOAK - 30))") >"$OUT/soak-churn.md" 2>"$OUT/soak-churn.log" &
  CHURN=$!
  run soak-chat $(lg) --url http://127.0.0.1:8101 --server-pid "$POD_PID" chat --pairs 200 --rate 10000 --duration "$SOAK" --every 60
  wait "$CHURN"; cat "$OUT/soak-churn.md"
  stop_all
fi
if [[ $ONLY == *ab* ]]; then
  # Before and after in one run: the same scenarios against $BASELINE and this build, taking
  # turns, each on a fresh database, so the machine's drift falls on both alike.
  for round in $(seq 1 "${ROUNDS:-2}"); do
    for side in baseline head; do
      if [[ $side == baseline ]]; then IMBIN=${BASELINE:?set BASELINE to an imcluster binary}; else IMBIN=$BIN/imcluster; fi
      export IMBIN
      fresh_pg; pod 1 8101
      run "ab-$side-$round-chat-10k" $(lg) --url http://127.0.0.1:8101 chat --pairs 200 --rate 10000 --duration 10
      run "ab-$side-$round-chat-max" $(lg) --url http://127.0.0.1:8101 chat --pairs 200 --rate 40000 --duration 10
      run "ab-$side-$round-fanout-1000" $(lg) --url http://127.0.0.1:8101 fanout --members 1000 --rate 700 --duration 10
      stop_all
      fresh_pg; pod 1 8101 $REDIS; pod 2 8102 $REDIS
      TWO=http://127.0.0.1:8101,http://127.0.0.1:8102
      run "ab-$side-$round-crosspod-chat-10k" $(lg) --url $TWO chat --pairs 200 --rate 10000 --duration 10
      run "ab-$side-$round-crosspod-chat-max" $(lg) --url $TWO chat --pairs 200 --rate 40000 --duration 10
      stop_all
    done
  done
  unset IMBIN
fi
if [[ $ONLY == *reactions* ]]; then
  # The chat alone and with reactions beside it, taking turns on fresh databases.
  for round in $(seq 1 "${ROUNDS:-2}"); do
    for side in alone reactions; do
      extra=()
      [[ $side == reactions ]] && extra=(--reactors 200 --reaction-rate "${REACTION_RATE:-5000}")
      fresh_pg; pod 1 8101
      run "reactions-$side-$round-chat-${CHAT_RATE:-10000}" $(lg) --url http://127.0.0.1:8101 chat --pairs 200 --rate "${CHAT_RATE:-10000}" --duration 10 "${extra[@]}"
      stop_all
    done
  done
fi
if [[ $ONLY == *hooks* ]]; then
  ADMIN_KEY=bench-admin-key-0123456789
  for round in $(seq 1 "${ROUNDS:-1}"); do
    for side in ${SIDES:-none before-send events events-batched}; do
      node bench/peer/hook-receiver.mjs 8095 >"$OUT/hook-receiver-$side-$round.log" 2>&1 &
      PIDS+=("$!"); sleep 0.5
      unset IMCLUSTER_HOOKS__BEFORE_SEND__URL IMCLUSTER_HOOKS__EVENTS__URL
      [[ $side == before-send ]] && export IMCLUSTER_HOOKS__BEFORE_SEND__URL=http://127.0.0.1:8095/check
      [[ $side == events* ]] && export IMCLUSTER_HOOKS__EVENTS__URL=http://127.0.0.1:8095/events
      [[ $side == events-batched ]] && export IMCLUSTER_HOOKS__EVENTS__EVENTS_PER_POST=${EVENTS_PER_POST:-100}
      export IMCLUSTER_ADMIN__API_KEY=$ADMIN_KEY
      fresh_pg; pod 1 8101
      run "hooks-$side-$round" $(lg) --url http://127.0.0.1:8101 chat --pairs 200 --rate "${CHAT_RATE:-10000}" --duration 10
      if [[ $side == events* ]]; then
        start=$(date +%s.%N)
        for _ in $(seq 1 1200); do
          waiting=$(curl -fs -H "x-api-key: $ADMIN_KEY" http://127.0.0.1:8101/api/admin/events/outbox | grep -o '"waiting":[0-9]*' | cut -d: -f2)
          [[ $waiting == 0 ]] && break
          sleep 0.1
        done
        sleep 1.5 # the receiver prints its counts once a second
        echo "outbox empty $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s after the run; receiver: $(tail -1 "$OUT/hook-receiver-$side-$round.log")" | tee -a "$OUT/hooks-$side-$round.md"
      fi
      stop_all
      unset IMCLUSTER_HOOKS__BEFORE_SEND__URL IMCLUSTER_HOOKS__EVENTS__URL IMCLUSTER_ADMIN__API_KEY \
        IMCLUSTER_HOOKS__EVENTS__EVENTS_PER_POST
    done
  done
fi
if [[ $ONLY == *push* ]]; then
  for round in $(seq 1 "${ROUNDS:-1}"); do
    for side in off on; do
      node bench/peer/hook-receiver.mjs 8095 >"$OUT/push-receiver-$side-$round.log" 2>&1 &
      PIDS+=("$!"); sleep 0.5
      unset IMCLUSTER_PUSH__WEBHOOK_URL
      [[ $side == on ]] && export IMCLUSTER_PUSH__WEBHOOK_URL=http://127.0.0.1:8095/push
      fresh_pg; pod 1 8101
      run "push-$side-$round" $(lg) --url http://127.0.0.1:8101 chat --pairs 200 --rate "${CHAT_RATE:-10000}" --duration 10 --offline-receivers
      sleep 3 # the last debounce, then the receiver prints its counts
      echo "receiver: $(tail -1 "$OUT/push-receiver-$side-$round.log")" | tee -a "$OUT/push-$side-$round.md"
      stop_all
      unset IMCLUSTER_PUSH__WEBHOOK_URL
    done
  done
fi
if [[ $ONLY == *upload* ]]; then
  fresh_pg; pod 1 8101
  for c in 1 4 8; do
    run "upload-c$c" $(lg) --url http://127.0.0.1:8101 --server-pid "$POD_PID" upload --count 200 --concurrency "$c" --mib 1
  done
  stop_all
fi
if [[ $ONLY == *pictures* ]]; then
  # The chat alone and with 1 MiB pictures uploaded beside it (UPLOADERS at a time), taking
  # turns on fresh databases.
  for round in $(seq 1 "${ROUNDS:-2}"); do
    for side in alone uploads; do
      extra=()
      [[ $side == uploads ]] && extra=(--uploaders "${UPLOADERS:-4}")
      fresh_pg; pod 1 8101
      run "pictures-$side-$round-chat-${CHAT_RATE:-10000}" $(lg) --url http://127.0.0.1:8101 chat --pairs 200 --rate "${CHAT_RATE:-10000}" --duration 10 "${extra[@]}"
      stop_all
    done
  done
fi
if [[ $ONLY == *retention* ]]; then
  # 1:1 at 10,000/s for 40 s (in 5-second windows) on a database holding ROWS (500,000) private
  # messages 40 days old: retention off, then retention.message_days = 30, whose first sweep
  # starts 10 s after the pod and deletes them while the chat runs.
  for side in off on; do
    fresh_pg; pod 1 8101; stop_all # the schema
    psql -q -h 127.0.0.1 -U postgres -d imload -c "INSERT INTO \"AppUserMessages\" (\"ReceiveUserId\", \"ExtraProperties\", \"ConcurrencyStamp\", \"CreationTime\", \"CreatorId\", \"MessageId\", \"SendUserName\", \"Content\", \"Type\", \"Source\", \"State\") SELECT md5((g % 1000)::text)::uuid, '{}', '', now() - interval '40 days', md5((1000 + g % 1000)::text)::uuid, g, 'old', 'an old message ' || g, 0, 0, 0 FROM generate_series(1, ${ROWS:-500000}) g"
    [[ $side == on ]] && export IMCLUSTER_RETENTION__MESSAGE_DAYS=30
    POD_LOG=info pod 1 8101
    run "retention-$side" $(lg) --url http://127.0.0.1:8101 chat --pairs 200 --rate "${CHAT_RATE:-10000}" --duration 40 --every 5
    echo "pod: $(grep -h 'old messages deleted' "$OUT/pod-8101.log" || echo 'nothing deleted')" | tee -a "$OUT/retention-$side.md"
    stop_all
    unset IMCLUSTER_RETENTION__MESSAGE_DAYS
  done
fi
if [[ $ONLY == *notify* ]]; then
  export IMCLUSTER_PUSH__API_KEY=bench-push-key-0123456789
  fresh_pg; pod 1 8101
  run notify-pg $(lg) --url http://127.0.0.1:8101 notify --subscribers "${SUBSCRIBERS:-10000}" --online "${ONLINE:-2000}" --rounds "${ROUNDS:-5}" --key "$IMCLUSTER_PUSH__API_KEY"
  stop_all
  unset IMCLUSTER_PUSH__API_KEY
fi
echo "results in $OUT"
