#!/usr/bin/env bash
# A tour of the stores-and-items API with curl, against a running server:
#
#     scripts/tour.sh [BASE_URL]          (default http://127.0.0.1:8000)
#
# Two users register, one is made admin with `python server.py create-admin`, both log
# in (with JSON, and as OAuth2 clients do, with a form); a store and items are created, an
# item's price changed alone (PATCH); the admin may delete an item and the user may not;
# the admin lists and searches the users; /me shows the token's private claims; each
# refresh spends its refresh token and hands out the next pair, which the client keeps; a
# spent refresh token presented again after the grace period ends the session; the user
# lists and ends sessions; a logout ends the session, whose tokens are then refused; a new
# password ends the user's other sessions and keeps this one; logging out everywhere ends
# them all. One line per step: what was done and the status it got. The first unexpected
# status stops the tour with status 1.
#
# REUSE_GRACE_SECONDS must be the server's refresh_reuse_grace_seconds (default 10): the
# tour waits that long, plus one second, to show a reuse being caught.
#
# create-admin writes to the database itself, not through the API: run this script with
# the server's settings (the same working directory, the same APP_DATABASE_URL and
# APP_REDIS_URL), or it makes the admin in another database (the tour then says so and
# stops). PYTHON chooses the interpreter that runs server.py (default: the project's
# .venv/bin/python if there is one, else python3). Names are new on every run, so the
# tour works on a database that already holds data. It needs bash 5 and curl; JSON is
# read with jq when it is installed, else with python3.
set -euo pipefail

BASE_URL=${1:-http://127.0.0.1:8000}
# Only bash builtins besides curl and jq or python3: no dirname.
SCRIPT=${BASH_SOURCE[0]}
[[ $SCRIPT == */* ]] || SCRIPT=./$SCRIPT
PROJECT=$(cd "${SCRIPT%/*}/.." && pwd)
SERVER="$PROJECT/server.py"
if [[ -z ${PYTHON:-} ]]; then
    PYTHON=python3
    [[ -x $PROJECT/.venv/bin/python ]] && PYTHON=$PROJECT/.venv/bin/python
fi

printf -v RUN "%x%x%x" "$EPOCHSECONDS" "$$" "$RANDOM"
USER_NAME="alice-$RUN"
USER_PASSWORD="correct horse $RUN"
NEW_PASSWORD="battery staple $RUN"
ADMIN_NAME="root-$RUN"
ADMIN_PASSWORD="admin password $RUN"
JSON='Content-Type: application/json'

# The answer of the last call: its status and its body.
STATUS=
BODY=

fail() {
    echo "tour failed: $*" >&2
    exit 1
}

# call EXPECTED SHOW WHAT CURL_ARGUMENTS...: one request and one line saying WHAT was done,
# the status and, when SHOW names one, that field of the answer. Any status but EXPECTED
# ends the tour.
call() {
    local expected=$1 show=$2 what=$3 answer
    shift 3
    answer=$(curl -sS --max-time 30 -w '\n%{http_code}' "$@") || true
    STATUS=${answer##*$'\n'}
    BODY=${answer%"$STATUS"}
    BODY=${BODY%$'\n'}
    if [[ $STATUS != "$expected" ]]; then
        fail "$what: expected $expected, got $STATUS ${BODY:-(no answer from $BASE_URL)}"
    fi
    echo "$what: $STATUS${show:+ ($show: $(field "$show"))}"
}

# field NAME: the field NAME of the last body; strings as they are, anything else as JSON.
field() {
    if command -v jq >/dev/null; then
        jq -c -r --arg name "$1" '.[$name]' <<<"$BODY"
    else
        python3 -c 'import json, sys
value = json.load(sys.stdin)[sys.argv[1]]
print(value if isinstance(value, str) else json.dumps(value, separators=(",", ":")))' "$1" <<<"$BODY"
    fi
}

# credentials NAME PASSWORD: the JSON body of /register and /login.
credentials() {
    printf '{"username": "%s", "password": "%s"}' "$1" "$2"
}

bearer() {
    echo "Authorization: Bearer $1"
}

refresh_header() {
    echo "X-Refresh-Token: Bearer $1"
}

call 200 status "GET /health" "$BASE_URL/health"

call 201 id "POST /register $USER_NAME" -X POST "$BASE_URL/register" -H "$JSON" \
    -d "$(credentials "$USER_NAME" "$USER_PASSWORD")"
call 201 id "POST /register $ADMIN_NAME" -X POST "$BASE_URL/register" -H "$JSON" \
    -d "$(credentials "$ADMIN_NAME" "$ADMIN_PASSWORD")"
promoted=$(printf '%s\n' "$ADMIN_PASSWORD" | "$PYTHON" "$SERVER" create-admin "$ADMIN_NAME" 2>&1) ||
    fail "server.py create-admin $ADMIN_NAME: $promoted"
# The user registered a moment ago: creating it anew means another database than the server's.
[[ $promoted == Promoted* ]] ||
    fail "server.py create-admin $ADMIN_NAME created a new user, so it uses another database" \
        "than the server: run the tour with the server's working directory and APP_DATABASE_URL"
echo "server.py create-admin $ADMIN_NAME: $promoted"

call 200 "" "POST /login $USER_NAME" -X POST "$BASE_URL/login" -H "$JSON" \
    -d "$(credentials "$USER_NAME" "$USER_PASSWORD")"
USER_ACCESS=$(field access_token)
USER_REFRESH=$(field refresh_token)
call 200 token_type "POST /login $ADMIN_NAME, as an OAuth2 password grant (a form)" -X POST \
    "$BASE_URL/login" --data-urlencode grant_type=password \
    --data-urlencode "username=$ADMIN_NAME" --data-urlencode "password=$ADMIN_PASSWORD"
ADMIN_ACCESS=$(field access_token)

call 201 id "POST /stores \"Corner Shop $RUN\" as $USER_NAME" -X POST "$BASE_URL/stores" \
    -H "$(bearer "$USER_ACCESS")" -H "$JSON" -d "{\"name\": \"Corner Shop $RUN\"}"
STORE_ID=$(field id)
call 201 id "POST /items Tea, in store $STORE_ID" -X POST "$BASE_URL/items" \
    -H "$(bearer "$USER_ACCESS")" -H "$JSON" \
    -d "{\"name\": \"Tea\", \"price\": 3.5, \"store_id\": $STORE_ID}"
ITEM_ID=$(field id)
call 201 id "POST /items Scones, in store $STORE_ID" -X POST "$BASE_URL/items" \
    -H "$(bearer "$USER_ACCESS")" -H "$JSON" \
    -d "{\"name\": \"Scones\", \"price\": 2.25, \"store_id\": $STORE_ID}"
SCONES_ID=$(field id)
call 200 price "PATCH /items/$SCONES_ID, its price alone" -X PATCH "$BASE_URL/items/$SCONES_ID" \
    -H "$(bearer "$USER_ACCESS")" -H "$JSON" -d '{"price": 2.5}'
call 200 total "GET /items?store_id=$STORE_ID" "$BASE_URL/items?store_id=$STORE_ID" \
    -H "$(bearer "$USER_ACCESS")"

call 403 msg "DELETE /items/$ITEM_ID as $USER_NAME, a USER" -X DELETE \
    "$BASE_URL/items/$ITEM_ID" -H "$(bearer "$USER_ACCESS")"
call 200 msg "DELETE /items/$ITEM_ID as $ADMIN_NAME, an ADMIN" -X DELETE \
    "$BASE_URL/items/$ITEM_ID" -H "$(bearer "$ADMIN_ACCESS")"

call 403 msg "GET /users as $USER_NAME, a USER" "$BASE_URL/users" -H "$(bearer "$USER_ACCESS")"
call 200 total "GET /users?search=$USER_NAME as $ADMIN_NAME, an ADMIN" \
    "$BASE_URL/users?search=$USER_NAME" -H "$(bearer "$ADMIN_ACCESS")"

call 200 private_claims "GET /me as $USER_NAME" "$BASE_URL/me" -H "$(bearer "$USER_ACCESS")"

call 200 "" "POST /refresh with $USER_NAME's refresh token" -X POST "$BASE_URL/refresh" \
    -H "$(refresh_header "$USER_REFRESH")"
REFRESHED_ACCESS=$(field access_token)
SPENT_REFRESH=$USER_REFRESH
USER_REFRESH=$(field refresh_token) # the client keeps the next one: the old one is spent
call 200 role "GET /me with the refreshed access token" "$BASE_URL/me" \
    -H "$(bearer "$REFRESHED_ACCESS")"
call 401 msg "POST /items with the refreshed access token, which is not fresh" -X POST \
    "$BASE_URL/items" -H "$(bearer "$REFRESHED_ACCESS")" -H "$JSON" \
    -d "{\"name\": \"Jam\", \"price\": 4, \"store_id\": $STORE_ID}"

call 200 "" "POST /login $USER_NAME again, from another device" -X POST "$BASE_URL/login" \
    -H "$JSON" -d "$(credentials "$USER_NAME" "$USER_PASSWORD")"
OTHER_ACCESS=$(field access_token)
OTHER_REFRESH=$(field refresh_token)
call 200 sessions "GET /me/sessions as $USER_NAME" "$BASE_URL/me/sessions" \
    -H "$(bearer "$OTHER_ACCESS")"

# Bash's own wait (no sleep binary needed): read from a pipe nobody writes, with a timeout.
read -rt $((${REUSE_GRACE_SECONDS:-10} + 1)) <> <(:) || true
call 401 msg "POST /refresh with the spent refresh token, after the grace period" -X POST \
    "$BASE_URL/refresh" -H "$(refresh_header "$SPENT_REFRESH")"
call 401 msg "GET /me with that session's newest access token" "$BASE_URL/me" \
    -H "$(bearer "$REFRESHED_ACCESS")"
call 200 role "GET /me from the other device: its session goes on" "$BASE_URL/me" \
    -H "$(bearer "$OTHER_ACCESS")"

call 200 msg "POST /logout from the other device" -X POST "$BASE_URL/logout" \
    -H "$(bearer "$OTHER_ACCESS")"
call 401 msg "GET /me with the logged-out access token" "$BASE_URL/me" \
    -H "$(bearer "$OTHER_ACCESS")"
call 401 msg "POST /refresh with the logged-out session's refresh token" -X POST \
    "$BASE_URL/refresh" -H "$(refresh_header "$OTHER_REFRESH")"

call 200 "" "POST /login $USER_NAME on a laptop" -X POST "$BASE_URL/login" -H "$JSON" \
    -d "$(credentials "$USER_NAME" "$USER_PASSWORD")"
LAPTOP_ACCESS=$(field access_token)
call 200 "" "POST /login $USER_NAME on a phone" -X POST "$BASE_URL/login" -H "$JSON" \
    -d "$(credentials "$USER_NAME" "$USER_PASSWORD")"
PHONE_ACCESS=$(field access_token)
call 403 msg "PUT /me/password with a wrong current password" -X PUT "$BASE_URL/me/password" \
    -H "$(bearer "$LAPTOP_ACCESS")" -H "$JSON" \
    -d "{\"current_password\": \"not it\", \"new_password\": \"$NEW_PASSWORD\"}"
call 200 msg "PUT /me/password from the laptop" -X PUT "$BASE_URL/me/password" \
    -H "$(bearer "$LAPTOP_ACCESS")" -H "$JSON" \
    -d "{\"current_password\": \"$USER_PASSWORD\", \"new_password\": \"$NEW_PASSWORD\"}"
call 401 msg "GET /me from the phone" "$BASE_URL/me" -H "$(bearer "$PHONE_ACCESS")"
call 200 role "GET /me from the laptop: its session goes on" "$BASE_URL/me" \
    -H "$(bearer "$LAPTOP_ACCESS")"
call 200 msg "POST /logout/all from the laptop" -X POST "$BASE_URL/logout/all" \
    -H "$(bearer "$LAPTOP_ACCESS")"
call 401 msg "GET /me from the laptop, logged out everywhere" "$BASE_URL/me" \
    -H "$(bearer "$LAPTOP_ACCESS")"

echo "Tour complete: every step answered as expected."
