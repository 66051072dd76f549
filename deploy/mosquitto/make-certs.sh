#!/bin/sh
# Make the broker's TLS certificates in deploy/mosquitto/certs/ (mosquitto.conf's 8883
# listener, and the CA kits and the service trust).
#
#   deploy/mosquitto/make-certs.sh [HOST ...]
#
# A private CA (certs/ca.crt, its key certs/ca.key: keep it off the broker if you can) and
# a server certificate for each HOST given: the names or IP addresses kits and the service
# connect to (default: "mosquitto", the compose service name, and "localhost"). Give kits
# certs/ca.crt and ACCESSTWIN_MQTT_URL=mqtts://LAB%2FKIT@HOST:8883?ca=/path/ca.crt.
# An existing CA is kept (so kits keep trusting it); the server certificate is remade.
# Needs openssl.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dir="${CERTS_DIR:-$here/certs}"
days="${CERT_DAYS:-825}"
[ "$#" -gt 0 ] || set -- mosquitto localhost

san=""
for host in "$@"; do
  if printf '%s\n' "$host" | grep -Eq '^[0-9]+(\.[0-9]+){3}$|:'; then
    entry="IP:$host"
  elif printf '%s\n' "$host" | grep -Eq '^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$'; then
    entry="DNS:$host"
  else
    echo "make-certs.sh: '$host' is not a host name or IP address" >&2
    exit 2
  fi
  san="${san:+$san,}$entry"
done

umask 077
mkdir -p "$dir"
if [ ! -f "$dir/ca.key" ]; then
  openssl req -x509 -newkey rsa:3072 -nodes -sha256 -days "$days" \
    -subj "/CN=accesstwin broker CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
fi
openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=$1" \
  -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$san" \
  > "$dir/server.ext"
openssl x509 -req -sha256 -days "$days" -in "$dir/server.csr" -CA "$dir/ca.crt" \
  -CAkey "$dir/ca.key" -CAcreateserial -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
rm -f "$dir/server.csr" "$dir/server.ext"
# The broker (uid 1883 in the eclipse-mosquitto image) reads the key through a read-only
# mount: give it to that user when we can, else make it readable.
chmod 0644 "$dir/ca.crt" "$dir/server.crt"
if [ "$(id -u)" = 0 ]; then
  chown 1883:1883 "$dir/server.key" && chmod 0600 "$dir/server.key"
else
  chmod 0644 "$dir/server.key"
fi
echo "wrote $dir/ca.crt and $dir/server.crt for $san" >&2
