#!/usr/bin/env bash
# A curl session against primetime: the current time, a primality test of a number too large for
# a double, then requests until the key hits a limit, with the 429 shown in full (-i).
#
#   PRIMETIME_KEY=pt_... bash examples/curl.sh
#
# PRIMETIME_URL sets the server (default http://127.0.0.1:5000). The last step spends quota:
# it sends up to 30 /check-prime requests, so use a key with a small daily limit, such as one from
# "npm run cli -- keys create --name demo --daily-limit 3".
set -euo pipefail

url="${PRIMETIME_URL:-http://127.0.0.1:5000}"
if [[ -z "${PRIMETIME_KEY:-}" ]]; then
  echo 'Set PRIMETIME_KEY to an API key, such as one from "npm run cli -- keys create".' >&2
  exit 2
fi

# The key goes in a header read from stdin (-H @-), so it does not appear in the process list.
call() {
  printf 'Authorization: Bearer %s\n' "$PRIMETIME_KEY" | curl --silent --show-error -H @- "$@"
}

echo '$ curl -X POST -H "Authorization: Bearer $PRIMETIME_KEY" '"$url/get-current-time"
call -X POST "$url/get-current-time"
echo
echo

# 2^127 - 1 as a JSON string, so that no client on the way rounds it.
echo '$ curl -H "Authorization: Bearer $PRIMETIME_KEY" -H "Content-Type: application/json" -d '"'"'{"number": "170141183460469231731687303715884105727"}'"'"' '"$url/check-prime"
call -H 'Content-Type: application/json' -d '{"number": "170141183460469231731687303715884105727"}' \
  "$url/check-prime"
echo
echo

echo "# /check-prime with -i until the key reaches its quota or burst limit:"
for attempt in $(seq 1 30); do
  response="$(call -i -H 'Content-Type: application/json' -d '{"number": "97"}' "$url/check-prime")"
  status="$(printf '%s\n' "$response" | head -n 1 | tr -d '\r')"
  if [[ "$status" == *" 429"* ]]; then
    echo "\$ curl -i ... (request $attempt)"
    printf '%s\n' "$response" | tr -d '\r'
    echo
    exit 0
  fi
done

echo "No 429 after 30 requests: the key has no limit this low. Use a key with a small daily limit." >&2
exit 1
