#!/bin/sh
# Create or update deploy/mosquitto/passwd, the broker's password file.
#
#   deploy/mosquitto/make-passwords.sh [LAB/KIT | accesstwin-gateway-N | accesstwin-api-N ...]
#
# Always (re)sets the service account "accesstwin" (the name `acl` grants), and the
# healthcheck's "accesstwin-health", to MQTT_SERVICE_PASSWORD, taken from the environment or from .env. Each LAB/KIT given gets
# a kit account named "LAB/KIT" with a new random password, printed once on stdout; a lab
# may not start with "_" (the service's own topics). Each accesstwin-gateway-N and
# accesstwin-api-N given (a scaled-out deployment: one account per process, as `acl`
# lists them) gets a new random password the same way. Other accounts already in the file
# are kept. A kit then connects with
#   ACCESSTWIN_MQTT_URL=mqtt://LAB%2FKIT:PASSWORD@broker-host:1883
# Needs mosquitto_passwd (Debian: apt-get install mosquitto) or else Docker.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
env_file="$here/../../.env"
file="$here/passwd"

if [ -z "${MQTT_SERVICE_PASSWORD:-}" ] && [ -f "$env_file" ]; then
  MQTT_SERVICE_PASSWORD=$(sed -n 's/^MQTT_SERVICE_PASSWORD=//p' "$env_file" | tail -n 1)
fi
user=accesstwin
if [ -z "${MQTT_SERVICE_PASSWORD:-}" ]; then
  echo "make-passwords.sh: set MQTT_SERVICE_PASSWORD (in .env or the environment)" >&2
  exit 2
fi
case "$MQTT_SERVICE_PASSWORD" in
  *change-me*) echo "make-passwords.sh: MQTT_SERVICE_PASSWORD is still the placeholder" >&2
               exit 2 ;;
esac

umask 077
[ -f "$file" ] || : > "$file"
set_password() {  # user password
  if command -v mosquitto_passwd >/dev/null 2>&1; then
    mosquitto_passwd -b "$file" "$1" "$2"
  else
    docker run --rm -v "$here:/work" eclipse-mosquitto:2 \
      mosquitto_passwd -b /work/passwd "$1" "$2"
  fi
}

set_password "$user" "$MQTT_SERVICE_PASSWORD"
set_password "$user-health" "$MQTT_SERVICE_PASSWORD"  # the container healthcheck's
for kit in "$@"; do
  if printf '%s\n' "$kit" | grep -Eq '^accesstwin-(gateway|api)-[0-9]+$'; then
    :  # a gateway partition's or an API replica's own account
  elif ! printf '%s\n' "$kit" | grep -Eq '^[A-Za-z0-9-][A-Za-z0-9_-]{0,63}/[A-Za-z0-9_-]{1,64}$'; then
    echo "make-passwords.sh: '$kit' is not LAB/KIT (each [A-Za-z0-9_-]{1,64}, the lab not starting with _)" >&2
    exit 2
  fi
  password=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  set_password "$kit" "$password"
  printf '%s\t%s\n' "$kit" "$password"
done

# The broker runs as uid 1883 in the eclipse-mosquitto image and reads the file through
# a read-only mount: give it to that user when we can, else make it readable (it holds
# salted PBKDF2 hashes only).
if [ "$(id -u)" = 0 ]; then
  chown 1883:1883 "$file" && chmod 0600 "$file"
else
  chmod 0644 "$file"
fi
echo "wrote $file" >&2
