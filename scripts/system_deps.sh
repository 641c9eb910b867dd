#!/usr/bin/env bash
# Install the Debian packages the test suite needs when they are missing: a headless Chromium for the
# dashboard's end-to-end tests, shellcheck for the deployment scripts, Prometheus Alertmanager (a real sender
# for the webhook test, and the peer of the ingest bench), Prometheus with promtool and the node exporter (the
# real server the metric pull and remote-write tests read from and are pushed to, and which scrapes
# `GET /metrics` in a test) and the time-zone database (tests of local times that repeat at a DST change).
# Safe to run repeatedly.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
{ command -v prometheus && command -v promtool; } >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-node-exporter >/dev/null 2>&1 || missing+=(prometheus-node-exporter)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
[ -e /usr/share/zoneinfo/America/New_York ] || missing+=(tzdata)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "missing packages (${missing[*]}) and no root or sudo to install them" >&2
    exit 1
  fi
fi

echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
