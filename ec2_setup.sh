#!/usr/bin/env bash
# Install OpsForge on a fresh Ubuntu 22.04 / Debian 12 host, from the directory this script sits in.
#
#   sudo bash ec2_setup.sh [--app-dir /opt/opsforge] [--user opsforge] [--port 8000] [--print-config]
#
# What it does, safe to run again (each step checks before it changes anything):
#   1. system packages: Python >= 3.11 with venv, nginx, rsync, Node.js 20 (the distributions' own
#      Node is too old for the dashboard's build tool), build tools;
#   2. a system user that owns the service, the app copied to --app-dir, a virtualenv with the pinned
#      requirements, the dashboard built into frontend/dist;
#   3. /etc/opsforge/opsforge.env (mode 0600, owned by the service user) holding a generated API token,
#      kept as it is when it already exists;
#   4. one systemd unit running one uvicorn worker on 127.0.0.1, and nginx on port 80 proxying to it.
# TLS is not configured here: put a certificate on nginx (e.g. `certbot --nginx -d your.domain`) before
# exposing the dashboard beyond a private network.
set -euo pipefail

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
APP_DIR=/opt/opsforge
SERVICE_USER=opsforge
PORT=8000
DATA_DIR=/var/lib/opsforge
ENV_DIR=/etc/opsforge
ENV_FILE="$ENV_DIR/opsforge.env"
UNIT_FILE=/etc/systemd/system/opsforge.service
NGINX_SITE=/etc/nginx/sites-available/opsforge
NODE_MAJOR=20
PRINT_ONLY=0

usage() {
  sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --app-dir) APP_DIR="$2"; shift 2 ;;
    --user) SERVICE_USER="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --print-config) PRINT_ONLY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

render_unit() {
  cat <<EOF
[Unit]
Description=OpsForge API and dashboard
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${SERVICE_USER}
Group=${SERVICE_USER}
WorkingDirectory=${APP_DIR}
EnvironmentFile=${ENV_FILE}
Environment=HOST=127.0.0.1 PORT=${PORT} KB_BACKEND=sqlite KB_PATH=${DATA_DIR}/opsforge.sqlite3 TERMINAL_OUTPUT=selective
# One worker: the engine (simulation, correlation, forecasting) lives in this one process.
ExecStart=${APP_DIR}/.venv/bin/python backend_api.py
Restart=on-failure
RestartSec=5
NoNewPrivileges=true
PrivateTmp=true
ProtectSystem=strict
ProtectHome=true
ReadWritePaths=${DATA_DIR}
ProtectKernelTunables=true
ProtectControlGroups=true
RestrictSUIDSGID=true

[Install]
WantedBy=multi-user.target
EOF
}

render_nginx() {
  cat <<EOF
server {
    listen 80 default_server;
    listen [::]:80 default_server;
    server_name _;
    client_max_body_size 6m;

    # Server-Sent Events: no buffering, long reads.
    location /api/logs/stream {
        proxy_pass http://127.0.0.1:${PORT};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_buffering off;
        proxy_cache off;
        proxy_read_timeout 1h;
    }

    location / {
        proxy_pass http://127.0.0.1:${PORT};
        proxy_http_version 1.1;
        proxy_set_header Host \$host;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$scheme;
        proxy_read_timeout 60s;
    }
}
EOF
}

if [ "$PRINT_ONLY" -eq 1 ]; then
  echo "# ${UNIT_FILE}"
  render_unit
  echo "# ${NGINX_SITE}"
  render_nginx
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "run as root (sudo bash ec2_setup.sh)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log() { printf '==> %s\n' "$*"; }

python_ok() {
  command -v "$1" >/dev/null 2>&1 && "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'
}

install_packages() {
  log "system packages"
  apt-get update -qq
  apt-get install -y -qq ca-certificates curl gnupg rsync nginx build-essential openssl >/dev/null
  if python_ok python3; then
    PYTHON=python3
    apt-get install -y -qq python3-venv python3-dev >/dev/null
  else
    # Ubuntu 22.04 ships 3.10; 3.11 is in its universe component.
    apt-get install -y -qq software-properties-common >/dev/null
    add-apt-repository -y universe >/dev/null
    apt-get update -qq
    apt-get install -y -qq python3.11 python3.11-venv python3.11-dev >/dev/null
    PYTHON=python3.11
  fi
  local node_major=0
  if command -v node >/dev/null 2>&1; then
    node_major="$(node -p 'process.versions.node.split(".")[0]')"
  fi
  if [ "$node_major" -lt "$NODE_MAJOR" ]; then
    log "Node.js ${NODE_MAJOR} from the NodeSource repository"
    install -d -m 0755 /etc/apt/keyrings
    curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key \
      | gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg
    echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_${NODE_MAJOR}.x nodistro main" \
      >/etc/apt/sources.list.d/nodesource.list
    apt-get update -qq
    apt-get install -y -qq nodejs >/dev/null
  fi
}

create_user_and_dirs() {
  log "service user ${SERVICE_USER} and directories"
  if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
    useradd --system --home-dir "$APP_DIR" --shell /usr/sbin/nologin "$SERVICE_USER"
  fi
  install -d -m 0755 -o "$SERVICE_USER" -g "$SERVICE_USER" "$APP_DIR"
  install -d -m 0750 -o "$SERVICE_USER" -g "$SERVICE_USER" "$DATA_DIR"
  install -d -m 0750 -o root -g "$SERVICE_USER" "$ENV_DIR"
}

copy_app() {
  log "application to ${APP_DIR}"
  if [ "$SRC_DIR" != "$APP_DIR" ]; then
    rsync -a --delete \
      --exclude '.venv/' --exclude 'node_modules/' --exclude 'var/' --exclude '.env' \
      --exclude '.git/' --exclude 'frontend/dist/' --exclude '*.pem' --exclude '*.key' \
      "$SRC_DIR/" "$APP_DIR/"
  fi
  chown -R "$SERVICE_USER:$SERVICE_USER" "$APP_DIR"
}

build_app() {
  log "virtualenv and pinned requirements"
  as_user() { runuser -u "$SERVICE_USER" -- "$@"; }
  if [ ! -x "$APP_DIR/.venv/bin/python" ]; then
    as_user "$PYTHON" -m venv "$APP_DIR/.venv"
  fi
  as_user "$APP_DIR/.venv/bin/pip" install -q --upgrade pip
  as_user "$APP_DIR/.venv/bin/pip" install -q -r "$APP_DIR/requirements.txt"
  if [ -f "$APP_DIR/frontend/package-lock.json" ]; then
    log "dashboard build"
    (cd "$APP_DIR/frontend" && as_user env HOME="$APP_DIR" npm ci --no-audit --no-fund && as_user env HOME="$APP_DIR" npm run build)
  fi
}

write_env_file() {
  if [ -f "$ENV_FILE" ] && grep -q '^OPSFORGE_API_TOKEN=.\+' "$ENV_FILE"; then
    log "keeping the existing API token in ${ENV_FILE}"
  else
    log "generating an API token in ${ENV_FILE}"
    umask 077
    printf 'OPSFORGE_API_TOKEN=%s\n' "$(openssl rand -hex 32)" >"$ENV_FILE"
  fi
  chown "$SERVICE_USER:$SERVICE_USER" "$ENV_FILE"
  chmod 0600 "$ENV_FILE"
}

install_service() {
  log "systemd unit and nginx site"
  render_unit >"$UNIT_FILE"
  systemctl daemon-reload
  systemctl enable opsforge.service >/dev/null
  systemctl restart opsforge.service
  render_nginx >"$NGINX_SITE"
  ln -sf "$NGINX_SITE" /etc/nginx/sites-enabled/opsforge
  rm -f /etc/nginx/sites-enabled/default
  nginx -t
  systemctl enable nginx >/dev/null
  systemctl reload-or-restart nginx
}

install_packages
create_user_and_dirs
copy_app
build_app
write_env_file
install_service
log "done: http://$(hostname -I | awk '{print $1}')/ (token: sudo cat ${ENV_FILE})"
