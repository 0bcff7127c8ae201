"""The deployment files an admin pastes (deploy/) say the same thing, are safe as pasted, and the
Kubernetes one is valid.

deploy/course_settings.py holds what the course needs from any hub (tests/integration/test_hub.py
runs a hub from it, through deploy/jupyterhub_config.py); the Zero to JupyterHub values, the TLJH
install script and the user image must agree with it on the environment every kernel gets, memory
and CPU per user, idle culling, and the tested versions of every package. Each path must also
leave nothing open to strangers: the one-machine config is started for real, without and with
the admin's choices; the Kubernetes values and the TLJH script are read for theirs.
"""

from __future__ import annotations

import copy
import json
import os
import re
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import free_port
from packaging.requirements import Requirement
from packaging.version import Version
from traitlets.config.loader import PyFileConfigLoader

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
SCHEMA = REPO.parent / "shared" / "schemas" / "z2jh-values.schema.json"


def values() -> dict:
    return yaml.safe_load((DEPLOY / "z2jh-values.yaml").read_text())


@pytest.fixture
def hub_config(monkeypatch, tmp_path):
    """deploy/jupyterhub_config.py as JupyterHub loads it, with the shared folder at its default
    (started from a temporary folder: the config puts the hub's state in the folder it starts in)."""
    for var in ("COURSE_SHARED_DATA", "COURSE_BACKBONE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return PyFileConfigLoader("jupyterhub_config.py", path=str(DEPLOY)).load_config()


def partial_values_schema() -> dict:
    """The chart's schema for a values file that sets only some keys: the chart's defaults supply
    the required ones, so drop ``required`` from object schemas; types, enums and
    ``additionalProperties: false`` (which catches a misspelled key) still apply."""
    if not SCHEMA.is_file():
        pytest.skip("the chart's schema (../shared/schemas/z2jh-values.schema.json) is not beside this checkout")
    schema = copy.deepcopy(json.loads(SCHEMA.read_text()))

    def strip(node):
        if isinstance(node, dict):
            if "properties" in node:
                node.pop("required", None)
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)

    strip(schema)
    return schema


def test_z2jh_values_validate_against_the_charts_schema():
    jsonschema.validate(values(), partial_values_schema())


@pytest.mark.parametrize(
    "mistake",
    [
        lambda v: v["singleuser"].update(extraEnvs=v["singleuser"].pop("extraEnv")),  # misspelled key
        lambda v: v["singleuser"]["memory"].update(limitt="3G"),
        lambda v: v["cull"].update(timeout="an hour"),  # wrong type
        lambda v: v["singleuser"]["image"].update(pullPolicy="Sometimes"),  # not in the enum
    ],
)
def test_the_schema_check_catches_mistakes(mistake):
    broken = values()
    mistake(broken)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, partial_values_schema())


def gigabytes(size: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([GM])", size).groups()
    return float(number) / (1024 if unit == "M" else 1)


def test_z2jh_values_give_kernels_what_the_tested_config_gives_them(hub_config):
    single = values()["singleuser"]
    assert single["extraEnv"] == hub_config.Spawner.environment
    assert single["extraEnv"]["COURSE_SHARED_DATA"] == single["storage"]["extraVolumeMounts"][0]["mountPath"]
    assert all(m["readOnly"] for m in single["storage"]["extraVolumeMounts"])  # learners only read the assets
    assert gigabytes(single["memory"]["limit"]) == gigabytes(hub_config.Spawner.mem_limit)
    assert gigabytes(single["memory"]["guarantee"]) == gigabytes(hub_config.Spawner.mem_guarantee)
    assert single["cpu"]["limit"] == hub_config.Spawner.cpu_limit
    culling = single["extraFiles"]["kernel-culling"]["data"]["MappingKernelManager"]
    assert {f"--MappingKernelManager.{key}={value}" for key, value in culling.items()} <= set(hub_config.Spawner.args)
    assert values()["cull"]["timeout"] == server_idle_timeout(hub_config)


def test_kernels_are_never_culled_while_busy_or_open_in_a_tab(hub_config):
    args = set(hub_config.Spawner.args)
    assert {"--MappingKernelManager.cull_busy=False", "--MappingKernelManager.cull_connected=False"} <= args
    culling = values()["singleuser"]["extraFiles"]["kernel-culling"]["data"]["MappingKernelManager"]
    assert culling["cull_busy"] is False and culling["cull_connected"] is False


def server_idle_timeout(hub_config) -> int:
    (arg,) = [a for a in hub_config.Spawner.args if a.startswith("--ServerApp.shutdown_no_activity_timeout=")]
    return int(arg.split("=")[1])


def test_the_one_machine_config_keeps_servers_through_a_hub_restart_and_its_state_in_a_folder(hub_config, tmp_path):
    assert hub_config.JupyterHub.cleanup_servers is False
    state = tmp_path / "jupyterhub-state"
    assert Path(hub_config.JupyterHub.cookie_secret_file).parent == state
    assert hub_config.JupyterHub.db_url == f"sqlite:///{state / 'jupyterhub.sqlite'}"
    # Neither committed nor copied into the user image, wherever in the checkout the hub started.
    for started_in in ("", "deploy/"):
        for name in ("jupyterhub-state/jupyterhub.sqlite", "jupyterhub.sqlite", "jupyterhub_cookie_secret"):
            ignored = subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", "--no-index", started_in + name])
            assert ignored.returncode == 0, f"git would commit {started_in + name}"
    docker = (REPO / ".dockerignore").read_text().splitlines()
    assert {"**/jupyterhub-state/", "**/jupyterhub_cookie_secret", "**/jupyterhub.sqlite"} <= set(docker)


# ---------------------------------------------------------------- Zero to JupyterHub: who, HTTPS, versions
def chart_versions() -> tuple[str, str]:
    """The chart version and its JupyterHub version, as the values file's header names them."""
    header = (DEPLOY / "z2jh-values.yaml").read_text()
    chart = re.search(r"chart's version (\S+), which runs\n# JupyterHub (\S+) ", header)
    assert chart, "the values file must name the chart's version and its JupyterHub version"
    assert f"--version {chart.group(1)} " in header  # the install command pins the same chart
    return chart.group(1), chart.group(2)


def image_hub_version() -> str:
    return re.search(r"^ARG JUPYTERHUB_VERSION=(\S+)$", (DEPLOY / "Dockerfile").read_text(), re.MULTILINE).group(1)


def test_z2jh_values_choose_a_real_authenticator_and_https():
    hub, proxy = values()["hub"], values()["proxy"]
    assert hub["config"]["JupyterHub"]["authenticator_class"] not in (None, "dummy", "null")
    assert hub["config"]["Authenticator"]["admin_users"] and hub["config"]["Authenticator"]["allowed_users"]
    assert proxy["https"]["enabled"] is True and proxy["https"]["hosts"]
    assert proxy["https"]["letsencrypt"]["contactEmail"]
    assert hub["config"]["KubeSpawner"]["delete_pvc"] is False  # deleting a user keeps their home


def z2jh_get_config(tree: dict):
    """The chart's z2jh.get_config over a values tree: a dotted key, or the default."""

    def get_config(key: str, default=None):
        node = tree
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    return get_config


def run_extra_config(tree: dict, capsys) -> tuple[int | None, list[str]]:
    """Run the values' hub.extraConfig as the chart's hub does (exec with get_config in scope)."""
    code = None
    try:
        for _, snippet in sorted(tree["hub"]["extraConfig"].items()):
            exec(snippet, {"get_config": z2jh_get_config(tree)})  # noqa: S102  (the chart does the same)
    except SystemExit as stop:
        code = stop.code
    return code, [line for line in capsys.readouterr().out.splitlines() if line.startswith("FATAL")]


def test_the_kubernetes_hub_refuses_to_start_while_a_placeholder_is_left(capsys):
    code, fatal = run_extra_config(values(), capsys)
    assert code == 1
    named = " ".join(fatal)
    for setting in (
        "hub.config.GitHubOAuthenticator.client_id",
        "hub.config.Authenticator.admin_users",
        "hub.config.Authenticator.allowed_users",
        "proxy.https.hosts",
        "proxy.https.letsencrypt",
    ):
        assert setting in named, fatal
    filled = values()  # as an admin fills it in: every setting, not the check itself
    filled["hub"]["config"] = fill(filled["hub"]["config"])
    filled["proxy"]["https"] = fill(filled["proxy"]["https"])
    assert run_extra_config(filled, capsys) == (None, [])


def fill(node):
    """A values subtree with every CHANGE-ME replaced by a real-looking value."""
    if isinstance(node, dict):
        return {key: fill(value) for key, value in node.items()}
    if isinstance(node, list):
        return [fill(value) for value in node]
    return node.replace("CHANGE-ME", "teacher") if isinstance(node, str) else node


def test_the_user_image_and_the_chart_run_the_same_jupyterhub_major_version():
    chart, chart_hub = chart_versions()
    assert (chart, chart_hub) == ("4.4.0", "5.5.0")  # jupyterhub==5.5.0 in the chart's images/hub/requirements.txt
    assert image_hub_version() == chart_hub  # the image installs the hub's own version
    # TLJH 2.0's hub environment asks for jupyterhub>=5.2.0,<6 (tljh/requirements-hub-env.txt):
    # the version tested under a real hub (test_hub_versions.py) is in that range too.
    assert Version("5.2.0") <= Version(chart_hub) < Version("6")
    hub_extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["hub"]
    (requirement,) = [Requirement(r) for r in hub_extra if r.startswith("jupyterhub")]
    assert requirement.specifier.contains(chart_hub)  # the hub extra allows the hub's own version


def test_the_user_image_installs_the_tested_versions_but_the_hubs_jupyterhub():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert (
        "grep -v '^jupyterhub==' /opt/transfer-learning-course/requirements/tested.txt > /tmp/tested-but-the-hub.txt"
        in dockerfile
    )
    installs = re.findall(r"pip install --no-cache-dir -c (\S+)", dockerfile)
    assert installs == ["/tmp/tested-but-the-hub.txt"] * 2
    assert '"/opt/transfer-learning-course[hub]" "jupyterhub==${JUPYTERHUB_VERSION}"' in dockerfile
    assert re.search(r"^USER jovyan$", dockerfile, re.MULTILINE)  # servers never run as root


# ---------------------------------------------------------------- The Littlest JupyterHub
def test_the_tljh_script_installs_the_tested_versions_and_the_tested_config(hub_config):
    script = (DEPLOY / "tljh-install.sh").read_text()
    assert "cp deploy/course_settings.py /opt/tljh/config/jupyterhub_config.d/" in script
    assert "grep -v '^jupyterhub==' requirements/tested.txt > \"$CONSTRAINTS\"" in script
    assert script.count('pip install -c "$CONSTRAINTS"') == 2
    assert '".[hub]" "jupyterhub==$HUB_VERSION"' in script  # the users' jupyterhub is the hub's own
    settings = dict(re.findall(r"tljh-config set (\S+) (\S+)", script))
    assert gigabytes(settings["limits.memory"]) == gigabytes(hub_config.Spawner.mem_limit)
    assert float(settings["limits.cpu"]) == hub_config.Spawner.cpu_limit
    assert int(settings["services.cull.timeout"]) == server_idle_timeout(hub_config)


def run_tljh_script(tmp_path: Path, password: str | None) -> tuple[int, list[str]]:
    """Run deploy/tljh-install.sh with curl and sudo replaced by stand-ins that record what they
    were asked to do; it stops where it needs a real TLJH (/opt/tljh/hub)."""
    stubs, calls = tmp_path / "bin", tmp_path / "calls"
    stubs.mkdir()
    for name in ("curl", "sudo"):
        (stubs / name).write_text(f'#!/bin/sh\necho "{name} $*" >> {calls}\ncat > /dev/null\n')
        (stubs / name).chmod(0o755)
    env = {"PATH": f"{stubs}:{os.environ['PATH']}", "HOME": str(tmp_path)}
    if password is not None:
        env["TLJH_ADMIN_PASSWORD"] = password
    done = subprocess.run(
        ["bash", str(DEPLOY / "tljh-install.sh"), "teacher", "hub.example.org", "teacher@example.org"],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return done.returncode, calls.read_text().splitlines() if calls.exists() else []


@pytest.mark.parametrize("password", [None, "", "short", "with:colon-in-it"])
def test_the_tljh_script_installs_nothing_without_an_admin_password(tmp_path, password):
    code, calls = run_tljh_script(tmp_path, password)
    assert code != 0 and calls == []


def test_the_tljh_script_sets_the_admin_password_at_install_then_https_first(tmp_path):
    code, calls = run_tljh_script(tmp_path, "a-good-password")
    assert code != 0  # no /opt/tljh here: it stops at the first step that needs the real hub
    # curl and sudo run side by side in a pipeline: either may note its call first.
    (download,) = [call for call in calls[:2] if call.startswith("curl ")]
    assert "https://tljh.jupyter.org/bootstrap.py" in download
    assert "sudo -E python3 - --admin teacher:a-good-password" in calls[:2]  # the installer gets the password
    assert calls[2:] == [
        "sudo tljh-config set https.enabled true",
        "sudo tljh-config set https.letsencrypt.email teacher@example.org",
        "sudo tljh-config add-item https.letsencrypt.domains hub.example.org",
        "sudo tljh-config reload proxy",
    ]


# ---------------------------------------------------------------- the one-machine config, started
# Only plumbing a test machine needs is added (free loopback ports for the hub's internal API and
# the proxy's, the proxy's pure-Python port); every security choice is the case under test.
PLUMBING = """
load_subconfig({config!r})
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
"""
ALLOWED = 'c.Authenticator.allowed_users = {"ada", "grace"}\nc.Authenticator.admin_users = {"teacher"}\n'


def start_hub(folder: Path, choices: str) -> tuple[subprocess.Popen, Path]:
    """Start deploy/jupyterhub_config.py with ``choices`` added, from ``folder`` (its state folder's
    parent, as an admin would start it from /srv/jupyterhub)."""
    bin_dir = Path(sys.executable).parent
    config = folder / "admin_config.py"
    plumbing = PLUMBING.format(
        config=str(DEPLOY / "jupyterhub_config.py"), hub_port=free_port(), proxy_api_port=free_port(),
        proxy=str(bin_dir / "configurable-http-proxy"),
    )  # fmt: skip
    config.write_text(plumbing + choices)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_")}
    env["CONFIGPROXY_AUTH_TOKEN"] = secrets.token_hex(16)
    log = folder / "hub.log"
    with open(log, "w") as out:
        hub = subprocess.Popen(
            [str(bin_dir / "jupyterhub"), "-f", str(config)],
            cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    return hub, log


def stop(hub: subprocess.Popen) -> None:
    if hub.poll() is None:
        hub.terminate()
        try:
            hub.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(hub.pid, signal.SIGKILL)
            hub.wait()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("choices", "missing"),
    [
        ("", ["nobody may log in", "passwords would cross the network unencrypted"]),  # as pasted
        (ALLOWED, ["passwords would cross the network unencrypted"]),  # users chosen, no HTTPS
        ('c.Authenticator.allow_all = True\nc.JupyterHub.bind_url = "http://:{port}"\n', ["unencrypted"]),
    ],
    ids=["as-pasted", "no-https", "every-address-plain-http"],
)
def test_the_one_machine_hub_refuses_to_start_without_the_admins_choices(tmp_path, choices, missing):
    hub, log = start_hub(tmp_path, choices.replace("{port}", str(free_port())))
    try:
        code = hub.wait(timeout=60)
    finally:
        stop(hub)
    text = log.read_text()
    assert code != 0, text[-3000:]
    refusals = [line for line in text.splitlines() if "Refusing to start" in line]
    assert len(refusals) == len(missing), text[-3000:]
    for reason, line in zip(missing, refusals, strict=True):
        assert reason in line and "jupyterhub_config.py" in line  # what is missing, and where to fix it


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "hub.crt", folder / "hub.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def wait_for_api(url: str, hub: subprocess.Popen, log: Path, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/hub/api/", timeout=2) as response:
                return json.loads(response.read())
        except (OSError, urllib.error.HTTPError):
            if hub.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the hub did not start:\n" + log.read_text()[-3000:]) from None
            time.sleep(0.25)


@pytest.mark.slow
def test_with_a_certificate_the_one_machine_hub_starts_and_serves_https(tmp_path):
    """The hub accepts the admin's choices and has its proxy serve HTTPS with the admin's certificate.
    The proxy here is configurable-http-proxy's pure-Python port, which serves no HTTPS (it stops
    with NotImplementedError for --ssl-*); the Node.js proxy a deployment runs does, so the check
    ends at the proxy's command line."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate to test HTTPS with")
    cert, key = self_signed_certificate(tmp_path)
    port = free_port()
    choices = ALLOWED + (
        f"c.JupyterHub.ssl_cert = {str(cert)!r}\nc.JupyterHub.ssl_key = {str(key)!r}\n"
        f'c.JupyterHub.bind_url = "https://127.0.0.1:{port}"\n'
    )
    hub, log = start_hub(tmp_path, choices + "c.ConfigurableHTTPProxy.debug = True\nc.JupyterHub.log_level = 'DEBUG'\n")
    try:
        deadline = time.monotonic() + 60
        while "Starting proxy @" not in log.read_text() and hub.poll() is None and time.monotonic() < deadline:
            time.sleep(0.25)
        text = log.read_text()
        assert "Refusing to start" not in text, text[-3000:]
        assert f"Starting proxy @ https://127.0.0.1:{port}" in text, text[-3000:]
        (command,) = [line for line in text.splitlines() if "Proxy cmd:" in line]
        assert f"'--ssl-cert', '{cert}'" in command and f"'--ssl-key', '{key}'" in command
        state = tmp_path / "jupyterhub-state"
        assert {p.name for p in state.iterdir()} >= {"jupyterhub_cookie_secret", "jupyterhub.sqlite"}
        assert stat.S_IMODE(state.stat().st_mode) == 0o700  # the secret and the database: root's only
        assert not (tmp_path / "jupyterhub.sqlite").exists() and not (tmp_path / "jupyterhub_cookie_secret").exists()
    finally:
        stop(hub)


@pytest.mark.slow
def test_behind_an_https_proxy_the_one_machine_hub_listens_on_loopback_only(tmp_path):
    port = free_port()
    hub, log = start_hub(tmp_path, ALLOWED + f'c.JupyterHub.bind_url = "http://127.0.0.1:{port}"\n')
    try:
        assert "version" in wait_for_api(f"http://127.0.0.1:{port}", hub, log)
    finally:
        stop(hub)
