"""JupyterHub for the course on one machine: ``jupyterhub -f deploy/jupyterhub_config.py``.

What the course needs from a hub, and nothing else: every user server reads the assets in place
from one read-only shared folder, never reaches for the internet, and idle kernels are shut down
so that a learner's forgotten notebook does not hold 1-2 GiB. Users log in with their system
accounts (JupyterHub's default PAM authenticator, one Unix user per learner, servers started as
that user by the default spawner), so the folder, owned by root and not writable by others, is
read-only for them.

tests/integration/test_hub.py loads this file unchanged and then overrides only what a test machine needs
(loopback ports, a temporary state folder, a shared password instead of system accounts, one
process per user without Unix users, and, since CI runs as root, a read-only bind mount of the
shared folder for each server). docs/instructors.md explains each setting; settings are read
from the environment so that the same file serves both.
"""

import os

c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)

# Filled once by the admin: python -m course_utils fetch --all --dest /srv/course-assets
SHARED_DATA = os.environ.get("COURSE_SHARED_DATA", "/srv/course-assets")

c.Spawner.environment = {
    "COURSE_SHARED_DATA": SHARED_DATA,  # assets are verified and read in place, never copied into homes
    "COURSE_OFFLINE": "1",  # never try the public sources: the shared folder has everything
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "OMP_WAIT_POLICY": "PASSIVE",  # idle PyTorch threads sleep instead of spinning on shared cores
}
# An air-gapped hub without torchvision's ResNet-50 weights runs the vision notebooks on the
# offline backbone (EfficientNet-Lite0); every notebook says which backbone it used and why.
if os.environ.get("COURSE_BACKBONE"):
    c.Spawner.environment["COURSE_BACKBONE"] = os.environ["COURSE_BACKBONE"]

c.Spawner.default_url = "/lab"
# A learner's server plus kernel peaks at up to 1.91 GiB (notebook 04, benchmarks/hub.md); the limit
# leaves room for a second kernel left open until the culler below ends it. Enforced by spawners
# that can (systemdspawner in TLJH, KubeSpawner, DockerSpawner); the default local spawner only
# passes them to the server as MEM_LIMIT and MEM_GUARANTEE.
c.Spawner.mem_guarantee = "2G"
c.Spawner.mem_limit = "3G"
c.Spawner.cpu_limit = 2
# Shut down kernels idle for 20 minutes, and a server with nothing running for an hour.
c.Spawner.args = [
    "--MappingKernelManager.cull_idle_timeout=1200",
    "--MappingKernelManager.cull_interval=120",
    "--ServerApp.shutdown_no_activity_timeout=3600",
]
# Thirty learners starting at once on a small node take a minute or more (docs/instructors.md).
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300
