#!/bin/sh
# Installs what the benchmark compares against: gcc (raw baseline), Debian's
# supervisor and the pinned pm2 (bench/node_modules). Run as root from anywhere.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v supervisord >/dev/null 2>&1 || ! command -v gcc >/dev/null 2>&1; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y supervisor gcc
fi

# The package may start a system-wide supervisord (/etc/supervisor/supervisord.conf).
# The benchmark never talks to it (own config, socket and pidfile under bench/work),
# but it would share the CPU: stop it.
if pgrep -f '/etc/supervisor/supervisord.conf' >/dev/null 2>&1; then
  echo "stopping the system supervisord"
  service supervisor stop || systemctl stop supervisor || true
fi

npm install --prefix "$here" --no-audit --no-fund
