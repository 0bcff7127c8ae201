#!/usr/bin/env bash
# The Littlest JupyterHub (one server, up to about 100 users) for the course. Run from the root of
# a checkout of the course, as a user with sudo, on a fresh Ubuntu server with internet access and
# a DNS name pointing at it (HTTPS needs one):
#   bash deploy/tljh-install.sh <admin-user-name> <hub.example.org> <email-for-lets-encrypt>
# It asks for the admin's password (8 characters or more, no colon); TLJH_ADMIN_PASSWORD in the
# environment answers instead. Not run in the course's CI (it installs a system service);
# tests/integration/test_deploy.py checks what it sets: the admin's password at install, HTTPS,
# the tested versions with the hub's own jupyterhub, and the course's settings.
set -euo pipefail
USAGE="usage: bash deploy/tljh-install.sh <admin-user-name> <hub.example.org> <email-for-lets-encrypt>"
ADMIN="${1:?$USAGE}"
DOMAIN="${2:?$USAGE}"
EMAIL="${3:?$USAGE}"
SHARED=/srv/course-assets

# 0. The admin's password, set by the installer itself: TLJH's default authenticator lets the
#    first person to log in under a user name choose its password, and TLJH admins get
#    passwordless root sudo, so an admin without one could be claimed from the network while
#    the steps below run (https://tljh.jupyter.org/en/latest/topic/customizing-installer.html).
PASSWORD="${TLJH_ADMIN_PASSWORD:-}"
if [[ -z "$PASSWORD" ]]; then
  read -r -s -p "Password for the hub admin $ADMIN: " PASSWORD
  echo
fi
if [[ ${#PASSWORD} -lt 8 || "$PASSWORD" == *:* ]]; then
  echo "The admin password must have 8 characters or more and no colon (TLJH splits user:password at it)." >&2
  exit 1
fi

# 1. TLJH itself, with the admin's password (https://tljh.jupyter.org/en/latest/install/custom-server.html).
curl -L https://tljh.jupyter.org/bootstrap.py | sudo -E python3 - --admin "$ADMIN:$PASSWORD"
unset PASSWORD TLJH_ADMIN_PASSWORD

# 2. HTTPS before anything else, from Let's Encrypt; the proxy renews the certificate itself
#    (https://tljh.jupyter.org/en/latest/howto/admin/https.html).
sudo tljh-config set https.enabled true
sudo tljh-config set https.letsencrypt.email "$EMAIL"
sudo tljh-config add-item https.letsencrypt.domains "$DOMAIN"
sudo tljh-config reload proxy

# 3. The course into the users' environment, with the tested versions and CPU-only PyTorch, but
#    jupyterhub at the hub's own version: the single-user server must match the hub's major
#    version (TLJH's hub is jupyterhub<6; the tested set has 6.x for the one-machine hub).
HUB_VERSION="$(/opt/tljh/hub/bin/python -c 'import jupyterhub; print(jupyterhub.__version__)')"
CONSTRAINTS="$(mktemp)"
grep -v '^jupyterhub==' requirements/tested.txt > "$CONSTRAINTS"
sudo -E /opt/tljh/user/bin/pip install -c "$CONSTRAINTS" torch torchvision \
  --index-url https://download.pytorch.org/whl/cpu
sudo -E /opt/tljh/user/bin/pip install -c "$CONSTRAINTS" ".[hub]" "jupyterhub==$HUB_VERSION"
rm "$CONSTRAINTS"

# 4. The assets, once, verified, into a folder owned by root that learners can only read.
sudo /opt/tljh/user/bin/python -m course_utils fetch --all --dest "$SHARED"
sudo chmod -R a-w "$SHARED"

# 5. The course's hub settings (deploy/course_settings.py: the shared folder, offline, idle
#    kernels shut down). TLJH loads every file in jupyterhub_config.d after its own config.
#    SystemdSpawner, TLJH's spawner, enforces the memory and CPU limits set below. The hub's
#    culler stops a server idle for an hour (its kernels' memory is lost; files stay).
sudo cp deploy/course_settings.py /opt/tljh/config/jupyterhub_config.d/transfer-learning-course.py
sudo tljh-config set limits.memory 3G
sudo tljh-config set limits.cpu 2
sudo tljh-config set services.cull.timeout 3600
sudo tljh-config reload
