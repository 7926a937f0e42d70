#!/bin/sh
# Turns a feature flag on or off from a shell, with curl and jq and an API token that reaches
# feature flags and nothing else. Make the token in My account -> API tokens, ticking only
# Feature flags: read, Turn on and Turn off (scopes featureFlags.read,
# featureFlags.action.enable, featureFlags.action.disable). It cannot list users, end sessions
# or read the audit log, and never does more than you may.
#
#   ADMIN_URL=https://admin.example.com ADMIN_API_TOKEN=<token> docs/examples/toggle-flag.sh <key> on|off
#
# The wire format is tRPC over HTTP with superjson: a query is GET /trpc/<path>?input=<{"json":..}>,
# a mutation POST /trpc/<path> with the body {"json":..}; answers are {"result":{"data":{"json":..}}}
# or {"error":{"json":{"message":..,"data":{"code":..}}}}.
set -eu

usage() {
	echo "usage: ADMIN_URL=<origin> ADMIN_API_TOKEN=<token> $0 <flag key> on|off" >&2
	exit 2
}
[ $# -eq 2 ] || usage
url=${ADMIN_URL:?set ADMIN_URL}
token=${ADMIN_API_TOKEN:?set ADMIN_API_TOKEN}
key=$1
case $2 in
on) action=enable ;;
off) action=disable ;;
*) usage ;;
esac

# Calls /trpc/<path>; prints the result's json, or the error's message on stderr and fails.
call() {
	path=$1
	shift
	answer=$(curl -sS "$@" "$url/trpc/$path" -H "Authorization: Bearer $token")
	if printf '%s' "$answer" | jq -e '.error' >/dev/null; then
		printf '%s' "$answer" | jq -r '"\(.error.json.data.code): \(.error.json.message)"' >&2
		return 1
	fi
	printf '%s' "$answer" | jq '.result.data.json'
}

# jq builds the JSON, so a key with quotes in it cannot change the request.
input=$(jq -cn --arg key "$key" '{json: {search: $key}}')
rows=$(call resources.featureFlags.list -G --data-urlencode "input=$input")
flag=$(printf '%s' "$rows" | jq -c --arg key "$key" '.rows[] | select(.key == $key)')
[ -n "$flag" ] || {
	echo "no flag $key" >&2
	exit 1
}

# The version read above: if someone changed the flag since, the answer is CONFLICT, not a
# silent overwrite.
body=$(printf '%s' "$flag" | jq -c --arg action "$action" '{json: {action: $action, id, version}}')
call resources.featureFlags.action -X POST -H 'Content-Type: application/json' -d "$body" >/dev/null
echo "$key: $2"
