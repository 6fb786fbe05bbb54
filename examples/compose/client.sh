#!/bin/sh
# The "app": a client of the mock at $OAUTH_URL. It waits for the mock, reads its
# RFC 8414 metadata, gets a client_credentials token, calls the protected
# resource with it and introspects it. Any failure exits non-zero.
set -eu

OAUTH_URL=${OAUTH_URL:-http://oauth:8080}
CLIENT_ID=${CLIENT_ID:-conf-client}
CLIENT_SECRET=${CLIENT_SECRET:-conf-secret}

# depends_on only waits for the container to start, not for the mock to listen.
i=0
until meta=$(curl -fsS "$OAUTH_URL/.well-known/oauth-authorization-server" 2>/dev/null); do
	i=$((i + 1))
	if [ "$i" -ge 30 ]; then
		echo "no metadata at $OAUTH_URL after 30 s" >&2
		exit 1
	fi
	sleep 1
done
echo "metadata: $meta"
case $meta in
*"\"issuer\":\"$OAUTH_URL\""*) ;;
*)
	echo "the metadata's issuer is not $OAUTH_URL: start the mock with --issuer $OAUTH_URL" >&2
	exit 1
	;;
esac

token=$(curl -fsS -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials "$OAUTH_URL/token")
at=$(printf '%s' "$token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
if [ -z "$at" ]; then
	echo "no access_token in: $token" >&2
	exit 1
fi
echo "token: $token"

resource=$(curl -fsS -H "Authorization: Bearer $at" "$OAUTH_URL/resource")
echo "resource: $resource"
introspection=$(curl -fsS -u "$CLIENT_ID:$CLIENT_SECRET" -d "token=$at" "$OAUTH_URL/introspect")
echo "introspection: $introspection"
case $introspection in
*'"active":true'*) echo ok ;;
*)
	echo "the token is not active" >&2
	exit 1
	;;
esac
