#!/usr/bin/env bash
# The Littlest JupyterHub (one server, up to about 100 users) for the course. Run from the root of
# a checkout of the course, as a user with sudo, on a fresh Ubuntu server with internet access:
#   bash deploy/tljh-install.sh <admin-user-name>
# Not run in the course's CI (it installs a system service); tests/integration/test_deploy.py checks that it
# installs the course with the tested versions and uses the tested hub config.
set -euo pipefail
ADMIN="${1:?usage: bash deploy/tljh-install.sh <admin-user-name>}"
SHARED=/srv/course-assets

# 1. TLJH itself (https://tljh.jupyter.org/en/latest/install/custom-server.html).
curl -L https://tljh.jupyter.org/bootstrap.py | sudo -E python3 - --admin "$ADMIN"

# 2. The course into the users' environment, with the tested versions and CPU-only PyTorch.
sudo -E /opt/tljh/user/bin/pip install -c requirements/tested.txt torch torchvision \
  --index-url https://download.pytorch.org/whl/cpu
sudo -E /opt/tljh/user/bin/pip install -c requirements/tested.txt ".[hub]"

# 3. The assets, once, verified, into a folder owned by root that learners can only read.
sudo /opt/tljh/user/bin/python -m course_utils fetch --all --dest "$SHARED"
sudo chmod -R a-w "$SHARED"

# 4. The course's hub settings (deploy/jupyterhub_config.py: the shared folder, offline, idle
#    kernels shut down). TLJH loads every file in jupyterhub_config.d after its own config.
#    SystemdSpawner, TLJH's spawner, enforces the memory and CPU limits set below.
sudo cp deploy/jupyterhub_config.py /opt/tljh/config/jupyterhub_config.d/transfer-learning-course.py
sudo tljh-config set limits.memory 3G
sudo tljh-config set limits.cpu 2
sudo tljh-config set services.cull.timeout 3600
sudo tljh-config reload
