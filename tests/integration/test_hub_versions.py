"""The course's single-user server under the JupyterHub that the hosted paths run: 5.x.

Zero to JupyterHub's chart (deploy/z2jh-values.yaml) and The Littlest JupyterHub run a 5.x hub,
while the course's tested set has jupyterhub 6.x, which the one-machine hub runs (test_hub.py).
The hub and the single-user server share one package, and JupyterHub logs a warning when their
major versions differ: "This could cause failure to authenticate and result in redirect loops!"
(jupyterhub/_version.py). So deploy/Dockerfile and deploy/tljh-install.sh install the hub's own
jupyterhub version into the users' environment, with every other package at its tested version.

This test builds that environment once: a small virtual environment outside the checkout holding
jupyterhub at the Dockerfile's version and nothing else, which then sees the course's environment
(every other package at the version the suite tests) behind its own, as the user image has them.
It runs a hub from that environment (tests/hub_harness.py's overlay on deploy/jupyterhub_config.py)
with one learner: spawn, log in through the login page (the hub's OAuth handshake with the server
is what a version mismatch breaks), run one notebook cell in the learner's kernel, stop.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import re
import shutil
import subprocess
import sys
import sysconfig
import urllib.parse
import urllib.request
from pathlib import Path

import filelock
import platformdirs
import pytest
from hub_harness import PASSWORD, leftovers, running_hub

REPO = Path(__file__).resolve().parents[2]
UNREACHABLE = ("No matching distribution", "Could not find a version", "NewConnectionError", "Network is unreachable",
               "Temporary failure in name resolution", "ConnectionError", "Max retries exceeded")  # fmt: skip
CELL = """
import jupyterhub, jupyter_server, course_utils.config
print("jupyterhub", jupyterhub.__version__, "jupyter_server", jupyter_server.__version__)
"""


def image_hub_version() -> str:
    """The jupyterhub version deploy/Dockerfile installs beside the course: the chart's hub version."""
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    return re.search(r"^ARG JUPYTERHUB_VERSION=(\S+)$", dockerfile, re.MULTILINE).group(1)


def hub_environment(version: str) -> Path:
    """The bin folder of a virtual environment with jupyterhub ``version`` in front of this one's
    packages, built on first use in the user's cache (never in the checkout)."""
    key = hashlib.sha256(f"{sys.prefix} {sys.version}".encode()).hexdigest()[:10]  # one per course environment
    folder = platformdirs.user_cache_path("transfer-learning-course") / f"jupyterhub-{version}-{key}"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(str(folder) + ".lock", timeout=600):
        if (folder / "ready").is_file() and (folder / "ready").read_text() == jupyterhub_version(folder / "bin"):
            return folder / "bin"
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
        python = folder / "bin" / "python"
        install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-input",
                   "--only-binary=:all:", f"jupyterhub=={version}"]  # fmt: skip
        done = subprocess.run(install, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            shutil.rmtree(folder, ignore_errors=True)
            output = done.stdout + done.stderr
            if any(sign in output for sign in UNREACHABLE):
                pytest.skip(f"pip could not fetch jupyterhub=={version} from the package index:\n{output[-800:]}")
            pytest.fail(f"installing jupyterhub=={version} failed:\n{output[-2000:]}")
        # Every other package comes from the course's environment, behind this one's (a .pth line
        # that starts with "import" runs at start-up; addsitedir also reads that folder's .pth files).
        site = subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
        course_site = sysconfig.get_path("purelib")
        (Path(site.decode().strip()) / "course-environment.pth").write_text(
            f"import site; site.addsitedir({course_site!r})\n"
        )
        # Jupyter's config and data (server extensions, JupyterLab, kernel specs) are found under
        # sys.prefix, which is now this environment's: share the course environment's.
        for rel in ("etc/jupyter", "share/jupyter"):
            if (Path(sys.prefix) / rel).is_dir():
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                (folder / rel).symlink_to(Path(sys.prefix) / rel)
        assert jupyterhub_version(folder / "bin") == version, "the new environment does not import its own jupyterhub"
        (folder / "ready").write_text(version)
    return folder / "bin"


def jupyterhub_version(bin_dir: Path) -> str | None:
    """The jupyterhub that an environment's python imports, None when it cannot run."""
    try:
        done = subprocess.run([bin_dir / "python", "-c", "import jupyterhub; print(jupyterhub.__version__)"],
                              capture_output=True, text=True, timeout=60)  # fmt: skip
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def log_in(url: str, name: str) -> urllib.request.OpenerDirector:
    """A browser-like session logged in through the hub's login page."""
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = browser.open(f"{url}/hub/login", timeout=30).read().decode()
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"username": name, "password": PASSWORD, "_xsrf": xsrf}).encode()
    browser.open(f"{url}/hub/login", data=form, timeout=60).read()
    return browser


@pytest.mark.slow
def test_the_course_runs_under_the_hub_the_hosted_paths_run(tmp_path):
    version = image_hub_version()
    assert version.split(".")[0] == "5"  # the chart's and TLJH's hub major version (test_deploy.py)
    bin_dir = hub_environment(version)
    shared = tmp_path / "course-assets"  # the cell needs no asset
    shared.mkdir()
    with running_hub(tmp_path / "hub", shared, ["ada"], bin_dir=bin_dir) as hub:
        assert hub.request("GET", "/hub/api/")["version"] == version  # the hub is the 5.x one
        hub.create_users(["ada"])
        hub.spawn(["ada"], timeout=180)

        browser = log_in(hub.url, "ada")
        lab = browser.open(f"{hub.url}/user/ada/lab", timeout=60)  # through the OAuth handshake
        assert lab.geturl() == f"{hub.url}/user/ada/lab" and lab.status == 200
        assert "JupyterLab" in lab.read().decode()
        status = browser.open(f"{hub.url}/user/ada/api/status", timeout=30)
        assert status.headers["X-JupyterHub-Version"] == version  # the single-user side matches the hub

        errors, printed, _, _ = hub.run_cells("ada", "pairing.ipynb", [CELL], timeout=120)
        assert errors == [], errors
        assert f"jupyterhub {version} " in printed  # the kernel runs in the users' environment
        hub.stop_servers(["ada"])
    assert "!= jupyterhub-singleuser version" not in (tmp_path / "hub" / "hub.log").read_text()
    assert leftovers(hub) == []
