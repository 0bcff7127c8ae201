"""What the course needs from any JupyterHub, and nothing else: loaded by deploy/jupyterhub_config.py
(one machine) and copied into TLJH's jupyterhub_config.d by deploy/tljh-install.sh.

Every user server reads the assets in place from one read-only shared folder, never reaches for
the internet, and idle kernels are shut down so that a learner's forgotten notebook does not hold
1-2 GiB. Nothing here chooses who may log in or how traffic is encrypted: that is the admin's
choice in jupyterhub_config.py (one machine) or tljh-config (TLJH). deploy/z2jh-values.yaml sets
the same things for Kubernetes, and tests/integration/test_deploy.py checks that they agree.
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
# that can (systemdspawner in TLJH, KubeSpawner, DockerSpawner); the default local spawner of
# jupyterhub_config.py only passes them to the server as MEM_LIMIT and MEM_GUARANTEE.
c.Spawner.mem_guarantee = "2G"
c.Spawner.mem_limit = "3G"
# Each kernel runs as many PyTorch/BLAS threads as this limit allows, fewer while other programs keep
# the node's CPUs busy (course_utils.threads, checked before each cell); COURSE_THREADS fixes the count.
c.Spawner.cpu_limit = 2
# Shut down kernels idle for 20 minutes, but never one that is running a cell (cull_busy) or whose
# notebook is open in a browser tab (cull_connected): a learner mid-lab keeps their kernel's state.
# A server with no kernel left and no activity for an hour shuts itself down; files stay in the home.
c.Spawner.args = [
    "--MappingKernelManager.cull_idle_timeout=1200",
    "--MappingKernelManager.cull_interval=120",
    "--MappingKernelManager.cull_busy=False",
    "--MappingKernelManager.cull_connected=False",
    "--ServerApp.shutdown_no_activity_timeout=3600",
]
# Thirty learners starting at once on a small node take a minute or more (docs/instructors.md).
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300
