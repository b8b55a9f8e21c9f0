#!/usr/bin/env bash
# API fuzzing with schemathesis against a real pod (SQLite, in a temporary directory), with a
# world to find: two friends, a group with a member, messages both ways. Their ids are given to
# schemathesis for every path and query parameter of that name, so the generated requests reach
# the handlers behind the look-ups instead of stopping at 404. Run twice: as the group's owner
# (with the admin and push API key) and as nobody (no credentials at all).
#
#   pip install schemathesis && fuzz/api/run.sh [examples per operation, default 100]
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/imcluster-target}"
N=${1:-100}
PORT=8230
BASE=http://127.0.0.1:$PORT
KEY=fuzz-api-key-fuzz-api-key-0123456789
WORK=$(mktemp -d)
cargo build --release -q -p imcluster
IMCLUSTER_DATABASE__URL="sqlite://$WORK/st.db?mode=rwc" IMCLUSTER_JWT__SECRET=fuzz-secret-fuzz-secret-0123456789ab \
  IMCLUSTER_NODE__LISTEN=127.0.0.1:$PORT IMCLUSTER_ADMIN__API_KEY=$KEY IMCLUSTER_PUSH__API_KEY=$KEY \
  IMCLUSTER_LIMITS__LOGIN_FAILURES_PER_MINUTE=0 IMCLUSTER_LOG__LEVEL=warn \
  "$CARGO_TARGET_DIR/release/imcluster" serve >"$WORK/pod.log" 2>&1 &
POD=$!
trap 'kill $POD 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs $BASE/ready >/dev/null 2>&1 && break; sleep 0.2; done

call() { # method, path, token, body → the JSON answer
  curl -fsS -X "$1" "$BASE$2" -H "Authorization: Bearer $3" -H 'Content-Type: application/json' ${4:+-d "$4"}
}
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
login() { curl -fsS -X POST $BASE/api/auth/login -H 'Content-Type: application/json' \
  -d "{\"userName\":\"$1\",\"password\":\"fuzz-password\"}"; }
curl -fsS -X POST $BASE/api/auth/register -H 'Content-Type: application/json' -d '{"userName":"alice","password":"fuzz-password"}' >/dev/null
curl -fsS -X POST $BASE/api/auth/register -H 'Content-Type: application/json' -d '{"userName":"bob","password":"fuzz-password"}' >/dev/null
A=$(login alice); B=$(login bob)
AT=$(echo "$A" | field '["accessToken"]'); BT=$(echo "$B" | field '["accessToken"]')
BOB=$(echo "$B" | field '["userId"]')
ALICE=$(echo "$A" | field '["userId"]')
call POST /api/im/my-friends/add-request "$AT" "{\"friendId\":\"$BOB\"}" >/dev/null
call PUT "/api/im/my-friends/requests/$ALICE/accept" "$BT" >/dev/null || true
GROUP=$(call POST /api/im/groups "$AT" '{"name":"fuzz"}' | field '["id"]')
call POST /api/im/user-groups/join "$BT" "{\"groupId\":\"$GROUP\"}" >/dev/null
call PUT /api/im/user-groups/accept "$AT" "{\"userId\":\"$BOB\",\"groupId\":\"$GROUP\",\"allowAccept\":true}" >/dev/null
MESSAGE=$(call POST /api/im/chat/send-message "$AT" "{\"toUserId\":\"$BOB\",\"content\":\"hello\"}" | field '["messageId"]')
call POST /api/im/chat/send-message "$BT" "{\"groupId\":\"$GROUP\",\"content\":\"hi all\"}" >/dev/null
echo "world: alice $ALICE, bob $BOB, group $GROUP, message $MESSAGE"

cat >"$WORK/schemathesis.toml" <<TOML
[parameters]
group_id = "$GROUP"
groupId = "$GROUP"
user_id = "$BOB"
userId = "$BOB"
friend_id = "$BOB"
friendId = "$BOB"
peerUserId = "$BOB"
receiveUserId = "$BOB"
message_id = "$MESSAGE"
before = "$MESSAGE"
TOML
CHECKS=not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance
# Logout would revoke the run's own token; kick and ban would close or lock the world's users.
EXCLUDE=(--exclude-path /api/auth/logout --exclude-path-regex 'ban$')
echo "== as alice, with the API key"
schemathesis --config-file "$WORK/schemathesis.toml" run $BASE/api/openapi.json -n "$N" --workers 2 \
  -H "Authorization: Bearer $AT" -H "X-API-Key: $KEY" "${EXCLUDE[@]}" -c $CHECKS \
  --report junit --report-dir "$WORK/authorized" || STATUS=$?
echo "== as nobody"
schemathesis --config-file "$WORK/schemathesis.toml" run $BASE/api/openapi.json -n "$N" --workers 2 \
  "${EXCLUDE[@]}" -c $CHECKS --report junit --report-dir "$WORK/anonymous" || STATUS=$?
grep -c "panicked" "$WORK/pod.log" && echo "the pod log has panics: $WORK/pod.log" && exit 1
echo "reports in $WORK"
exit "${STATUS:-0}"
