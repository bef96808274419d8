#!/usr/bin/env bash
# Make sure a RabbitMQ broker answers on localhost, with its management API (the tests make
# a vhost per test through it). Installs Debian's rabbitmq-server where none is installed.
# Does nothing to a broker that already answers on both ports. With --with-server, also
# makes sure the rabbitmq-server program is installed (the fault drill starts its own node).
set -euo pipefail

AMQP_PORT=${AMQP_PORT:-5672}
API_PORT=${RABBIT_API_PORT:-15672}

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else
    echo "broker: need root for: $*" >&2
    echo "broker: run it as root, or start RabbitMQ on localhost:$AMQP_PORT yourself." >&2
    exit 1
  fi
}

wait_for() {  # port, what, seconds
  for _ in $(seq 1 "$3"); do answers "$1" && return 0; sleep 1; done
  echo "broker: $2 did not answer on port $1 after $3 s." >&2
  echo "broker: see /var/log/rabbitmq/ and 'rabbitmq-diagnostics status'." >&2
  exit 1
}

install_server() {
  if ! command -v rabbitmq-server >/dev/null && [ ! -x /usr/sbin/rabbitmq-server ]; then
    echo "broker: installing Debian's rabbitmq-server…"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
  fi
}

# The fault drill (make faults) runs a RabbitMQ node of its own: it needs the program even
# where the shared broker runs elsewhere.
if [ "${1:-}" = "--with-server" ]; then install_server; fi

if ! answers "$AMQP_PORT"; then
  install_server
  echo "broker: starting RabbitMQ…"
  if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
    as_root systemctl start rabbitmq-server
  else
    as_root env PATH="$PATH:/usr/sbin" rabbitmq-server -detached
  fi
  wait_for "$AMQP_PORT" "RabbitMQ" 90
fi

if ! answers "$API_PORT"; then
  echo "broker: enabling the management API…"
  as_root env PATH="$PATH:/usr/sbin" rabbitmq-plugins enable rabbitmq_management >/dev/null
  wait_for "$API_PORT" "The RabbitMQ management API" 60
fi
