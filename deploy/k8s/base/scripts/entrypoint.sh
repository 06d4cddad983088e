#!/bin/sh
# Starts one DMS service in a StatefulSet pod: its id is the pod's ordinal (dms-broker-2 is broker 2),
# its internal certificate is the one of that id in the role's Secret, and its rack is the zone
# the zone-of-node init container found. Usage: entrypoint.sh controller|broker|gateway
set -eu
role="$1"
ordinal="${HOSTNAME##*-}"
case "$ordinal" in
  ''|*[!0-9]*) echo "entrypoint: pod name $HOSTNAME has no StatefulSet ordinal" >&2; exit 2 ;;
esac
# One line per role, naming every variable it sets (tools/deploy checks them against the role's keys).
# The zone file is written by the zone-of-node init container; empty means no rack.
case "$role" in
  controller) export DMS_CONTROLLER_ID="$ordinal" ;;
  broker) export DMS_BROKER_ID="$ordinal" DMS_BROKER_RACK="$(cat /etc/dms/zone/zone)" ;;
  gateway) export DMS_NODE_ID="$ordinal" DMS_BROKER_RACK="$(cat /etc/dms/zone/zone)" ;;
  *) echo "entrypoint: unknown role '$role'" >&2; exit 2 ;;
esac
certs="${DMS_CERTS_DIR:-/etc/dms/certs}"
export DMS_INTERNAL_SSL_CA_LOCATION="$certs/ca.pem"
export DMS_INTERNAL_SSL_CERTIFICATE_LOCATION="$certs/$role-$ordinal.pem"
export DMS_INTERNAL_SSL_KEY_LOCATION="$certs/$role-$ordinal-key.pem"
if [ ! -r "$DMS_INTERNAL_SSL_CERTIFICATE_LOCATION" ]; then
  echo "entrypoint: no certificate $role-$ordinal.pem in $certs: create one per id with 'dms certs create' (deploy/README.md)" >&2
  exit 2
fi
# Gateways start with a 64 MB old generation, brokers with 128 MB (decisions 0042, 0043; V8 flags are
# refused in NODE_OPTIONS).
case "$role" in
  gateway) exec node --initial-old-space-size=64 "dist/apps/$role/main.js" ;;
  broker) exec node --initial-old-space-size=128 "dist/apps/$role/main.js" ;;
  *) exec node "dist/apps/$role/main.js" ;;
esac
