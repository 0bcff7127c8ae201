"""The deployment files an admin pastes (deploy/) say the same thing, and the Kubernetes one is valid.

deploy/jupyterhub_config.py is the tested config (tests/integration/test_hub.py runs a hub from it); the
Zero to JupyterHub values, the TLJH install script and the user image must agree with it on what
the course needs: the environment every kernel gets, memory and CPU per user, idle culling, and
the tested versions of every package.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from traitlets.config.loader import PyFileConfigLoader

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
SCHEMA = REPO.parent / "shared" / "schemas" / "z2jh-values.schema.json"


def values() -> dict:
    return yaml.safe_load((DEPLOY / "z2jh-values.yaml").read_text())


@pytest.fixture
def hub_config(monkeypatch):
    """deploy/jupyterhub_config.py as JupyterHub loads it, with the shared folder at its default."""
    for var in ("COURSE_SHARED_DATA", "COURSE_BACKBONE"):
        monkeypatch.delenv(var, raising=False)
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
    assert f"--MappingKernelManager.cull_idle_timeout={culling['cull_idle_timeout']}" in hub_config.Spawner.args
    assert values()["cull"]["timeout"] == server_idle_timeout(hub_config)


def server_idle_timeout(hub_config) -> int:
    (arg,) = [a for a in hub_config.Spawner.args if a.startswith("--ServerApp.shutdown_no_activity_timeout=")]
    return int(arg.split("=")[1])


def test_the_tljh_script_installs_the_tested_versions_and_the_tested_config(hub_config):
    script = (DEPLOY / "tljh-install.sh").read_text()
    assert "cp deploy/jupyterhub_config.py /opt/tljh/config/jupyterhub_config.d/" in script
    assert script.count("pip install -c requirements/tested.txt") == 2
    assert '".[hub]"' in script
    settings = dict(re.findall(r"tljh-config set (\S+) (\S+)", script))
    assert gigabytes(settings["limits.memory"]) == gigabytes(hub_config.Spawner.mem_limit)
    assert float(settings["limits.cpu"]) == hub_config.Spawner.cpu_limit
    assert int(settings["services.cull.timeout"]) == server_idle_timeout(hub_config)


def test_the_user_image_installs_the_tested_versions_with_the_hub_extra():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    installs = re.findall(r"pip install [^\n]*-c (\S+)", dockerfile)
    assert installs == ["/opt/transfer-learning-course/requirements/tested.txt"] * 2
    assert '"/opt/transfer-learning-course[hub]"' in dockerfile
    assert re.search(r"^USER jovyan$", dockerfile, re.MULTILINE)  # servers never run as root
