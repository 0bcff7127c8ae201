"""`python -m course_utils fetch | verify | doctor`, as a learner or an admin runs them."""

from __future__ import annotations

import os
import re

import pytest
from conftest import course_cli


@pytest.fixture
def env(clean_env):
    return dict(os.environ)  # clean_env has already set the isolated variables


def test_fetch_dest_fills_a_shared_folder_then_verify_and_use_it(env, clean_env, mirror):
    env["COURSE_MIRROR"] = str(mirror)
    shared = clean_env / "hub-shared"
    done = course_cli("fetch", "sst2", "all-MiniLM-L6-v2", "--dest", str(shared), "--quiet", env=env)
    assert done.returncode == 0, done.stderr
    assert (shared / "sst2" / "dev.tsv").is_file() and not (clean_env / "cache" / "sst2").exists()
    assert course_cli("verify", "sst2", "--dest", str(shared), env=env).returncode == 0
    user = {**env, "COURSE_SHARED_DATA": str(shared)}
    del user["COURSE_MIRROR"]
    checked = course_cli("verify", "sst2", env=user)
    assert checked.returncode == 0 and str(shared / "sst2") in checked.stdout


def test_fetch_without_any_source_fails_with_the_fix(env):
    done = course_cli("fetch", "sst2", "--quiet", env=env)
    assert done.returncode == 1
    assert "sst2" in done.stderr and "python -m course_utils fetch sst2" in done.stderr
    assert "Traceback" not in done.stderr


def test_failed_fetch_says_which_notebooks_need_what_and_which_still_run(env):
    env["COURSE_BACKBONE"] = "resnet50"
    done = course_cli("fetch", "sst2", "resnet50-imagenet", "--quiet", env=env)
    assert done.returncode == 1
    assert "03_bert_sentiment.ipynb needs sst2" in done.stderr
    assert "05_negative_transfer.ipynb needs resnet50-imagenet" in done.stderr
    assert "00_start_here.ipynb needs sst2, resnet50-imagenet" in done.stderr
    assert "python -m course_utils fetch sst2 resnet50-imagenet" in done.stderr
    assert "COURSE_BACKBONE=efficientnet_lite0" in done.stderr  # the offline way out for ResNet-50
    only_text = course_cli("fetch", "sst2", "--quiet", env=env)
    assert "These run without them: 02_resnet50_freezing.ipynb, 05_negative_transfer.ipynb" in only_text.stderr


def test_unknown_asset_name_is_a_message_not_a_traceback(env):
    done = course_cli("fetch", "imagenet", env=env)
    assert done.returncode == 1 and "No asset named 'imagenet'" in done.stderr and "Traceback" not in done.stderr


def test_fetch_defaults_to_what_this_run_needs(env, full_mirror):
    env.update(COURSE_MIRROR=str(full_mirror), COURSE_BACKBONE="efficientnet_lite0")
    done = course_cli("fetch", "--quiet", env=env)
    assert done.returncode == 0, done.stderr
    fetched = {line.split()[1].rstrip(":") for line in done.stdout.splitlines()}
    assert fetched == {
        "hymenoptera",
        "sst2",
        "all-MiniLM-L6-v2",
        "all-mpnet-base-v2",
        "mnist-5k",
        "crowdflower-sentiment",
        "efficientnet-lite0-imagenet",
    }


def test_doctor_reports_truthfully(env, full_mirror):
    env.update(COURSE_MIRROR=str(full_mirror), COURSE_BACKBONE="efficientnet_lite0")
    before = course_cli("doctor", env=env)
    assert before.returncode == 1  # nothing fetched yet into this empty cache
    assert "efficientnet_lite0 (COURSE_BACKBONE=efficientnet_lite0 is set for this run)" in before.stdout
    assert "not checked (COURSE_OFFLINE=1" in before.stdout and "intel-extension-for-pytorch" in before.stdout
    assert "Fix: python -m course_utils fetch" in before.stdout
    assert course_cli("fetch", "--quiet", env=env).returncode == 0
    after = course_cli("doctor", env=env)
    assert after.returncode == 0, after.stdout
    assert re.search(r"ok\s+asset sst2\s+ok at ", after.stdout)
    assert re.search(r"asset resnet50-imagenet\s+missing \(optional\)", after.stdout)
