"""course_utils.config: one declaration and one parser per setting, and the README's table from it."""

from __future__ import annotations

import pytest
from conftest import REPO, course_cli

from course_utils import assets, claims, config
from course_utils.errors import ParameterError


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "on", " On "])
def test_flag_values_that_mean_on(monkeypatch, value):
    monkeypatch.setenv("COURSE_OFFLINE", value)
    assert config.flag("COURSE_OFFLINE") and assets.is_offline()


@pytest.mark.parametrize("value", ["0", "false", "False", "no", "off", "", "  "])
def test_flag_values_that_mean_off(monkeypatch, value):
    monkeypatch.setenv("COURSE_OFFLINE", value)
    assert not config.flag("COURSE_OFFLINE") and not assets.is_offline()


def test_false_means_off_for_the_two_modes_that_once_read_it_as_on(monkeypatch):
    monkeypatch.setenv("COURSE_TIMING_ONLY", "false")
    assert not claims.timing_only()
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("COURSE_STRICT", "false")
    assert not claims.strict() and not claims.strict_timing()


@pytest.mark.parametrize("value", ["maybe", "2", "enabled", "y"])
def test_an_unknown_flag_value_is_one_clear_error(monkeypatch, value):
    monkeypatch.setenv("COURSE_TIMING_ONLY", value)
    with pytest.raises(ParameterError, match=rf"COURSE_TIMING_ONLY='{value}' is not a flag value: use 1, true"):
        claims.timing_only()
    assert len(config.problems()) == 1 and "COURSE_TIMING_ONLY" in config.problems()[0]


def test_strict_follows_ci_when_unset_and_timing_follows_strict(monkeypatch):
    for name in ("CI", "COURSE_STRICT", "COURSE_STRICT_TIMING"):
        monkeypatch.delenv(name, raising=False)
    assert not claims.strict()
    monkeypatch.setenv("CI", "true")
    assert claims.strict() and claims.strict_timing()
    monkeypatch.setenv("COURSE_STRICT_TIMING", "0")  # make bench-busy: results strict, timings noted
    assert claims.strict() and not claims.strict_timing()
    monkeypatch.delenv("CI")
    monkeypatch.setenv("COURSE_STRICT", "1")
    assert claims.strict()


def test_whole_numbers_choices_and_folders(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_THREADS", "3")
    assert config.whole_number("COURSE_THREADS") == 3
    for bad in ("0", "two", "-1", "1.5"):
        monkeypatch.setenv("COURSE_THREADS", bad)
        with pytest.raises(ParameterError, match="COURSE_THREADS must be a whole number"):
            config.whole_number("COURSE_THREADS")
    monkeypatch.setenv("COURSE_BACKBONE", "vgg16")
    with pytest.raises(ParameterError, match="resnet50, efficientnet_lite0"):
        config.choice("COURSE_BACKBONE")
    monkeypatch.setenv("COURSE_SHARED_DATA", f"{tmp_path}/a: {tmp_path}/b :")
    assert config.folders("COURSE_SHARED_DATA") == [tmp_path / "a", tmp_path / "b"]


def test_reading_an_undeclared_setting_is_a_programming_error():
    with pytest.raises(KeyError, match="not declared"):
        config.raw("COURSE_NOT_A_SETTING")


def test_every_course_setting_the_code_reads_is_declared_and_in_the_readme():
    import re

    folders = ("course_utils", "benchmarks", "site", "tests", "tools")
    sources = [p for d in folders for p in (REPO / d).rglob("*.py") if p.name != "test_config.py"]
    sources += [REPO / "Makefile", REPO / ".ci" / "run", *(REPO / "deploy").iterdir()]
    used = {name for path in sources for name in re.findall(r"\bCOURSE_[A-Z_]+[A-Z]\b", path.read_text())}
    assert used - set(config.SETTINGS) == set(), "read somewhere but not declared in course_utils/config.py"
    readme = (REPO / "README.md").read_text()
    assert config.markdown_table() in readme, "the README's table differs: python -m course_utils settings --markdown"


def test_the_settings_command_prints_values_and_refuses_a_bad_one(monkeypatch):
    import os

    env = {**os.environ, "COURSE_THREADS": "2"}
    done = course_cli("settings", env=env)
    assert done.returncode == 0 and "COURSE_THREADS             2" in done.stdout
    done = course_cli("settings", env={**env, "COURSE_OFFLINE": "perhaps"})
    assert done.returncode == 1 and "COURSE_OFFLINE='perhaps' is not a flag value" in done.stderr
    assert "Traceback" not in done.stderr
    table = course_cli("settings", "--markdown", env=env)
    assert table.stdout.strip() == config.markdown_table()
