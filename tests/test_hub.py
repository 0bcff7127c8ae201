"""A JupyterHub deployment, simulated as docs/instructors.md describes it.

An admin fills a shared folder once with ``python -m course_utils fetch --dest`` and makes it
read-only; several user kernels (here: processes, each with its own home and cache, offline,
no mirror) start at once and load real assets through the course's own functions. Nothing may
be written into the shared folder, nothing copied into a user's cache, nothing fetched twice.

Root ignores file permissions (CI runs as root), so a chmod'ed folder alone would let a root
kernel write and only the snapshot afterwards would notice. As root, each kernel therefore runs
in its own mount namespace with the shared folder bind-mounted read-only, as a container's
read-only volume is, and its attempt to write there must fail with EROFS.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import course_cli, real_mirror, set_writable, snapshot

ASSETS = ["hymenoptera", "sst2", "all-MiniLM-L6-v2", "mnist-5k", "crowdflower-sentiment", "efficientnet-lite0-imagenet"]
USERS = 5

# What a kernel does first in notebooks 00-06: resolve each asset, then load data and models from it.
KERNEL = """
import json
import os
from torchvision.datasets import ImageFolder
from transformers import AutoTokenizer
from course_utils import assets
from course_utils.data import load_mnist_5k, load_sst2, load_tweets
from course_utils.models import load_backbone, text_model_path

origins = {name: assets.resolve(name, progress=False).origin for name in NAMES}
val = ImageFolder(assets.fetch("hymenoptera") / "val")
val[0][0].load()
dev = load_sst2("dev")
digits, tweets = load_mnist_5k()[0], load_tweets("airline")
tokens = AutoTokenizer.from_pretrained(text_model_path("all-MiniLM-L6-v2"))("a fine film")["input_ids"]
backbone = load_backbone("efficientnet_lite0")
sizes = {"val": len(val), "dev": len(dev), "digits": len(digits), "tweets": len(tweets), "tokens": len(tokens)}

refused = None  # a write into the shared folder must fail in the kernel itself, not just be noticed later
if os.environ.get("TRY_WRITE") == "1":
    try:
        (assets.fetch("sst2").parent / "a-learners-file.txt").write_text("x")
    except OSError as exc:
        refused = exc.errno
    else:
        refused = 0
print(json.dumps({"origins": origins, **sizes, "bb": backbone.name, "refused": refused}))
""".replace("NAMES", repr(ASSETS))


def read_only_launcher(shared: Path) -> list[str] | None:
    """A command prefix under which ``shared`` is read-only for this user, or None if that cannot be
    enforced (root without mount namespaces: the test then checks the snapshot only)."""
    if os.geteuid() != 0:
        return []  # the chmod of the shared fixture binds a normal user
    script = 'mount --bind -o ro "$0" "$0" && exec "$@"'  # $0: the folder; "$@": the kernel's command
    probe = subprocess.run(["unshare", "--mount", "sh", "-c", script, str(shared), "true"], capture_output=True)
    return ["unshare", "--mount", "sh", "-c", script, str(shared)] if probe.returncode == 0 else None


def user_env(home: Path, shared: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "HF_", "TORCH_"))}
    env.update(
        HOME=str(home),
        COURSE_SHARED_DATA=str(shared),  # the one variable the spawner sets
        COURSE_CACHE=str(home / ".cache" / "course"),
        TORCH_HOME=str(home / ".cache" / "torch"),
        HF_HOME=str(home / ".cache" / "huggingface"),
        COURSE_OFFLINE="1",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    return env


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Path:
    mirror = real_mirror()
    if mirror is None:
        pytest.skip("the course's asset mirror (../shared/assets) is not beside this checkout")
    folder = tmp_path_factory.mktemp("hub") / "course-assets"
    admin = {**os.environ, "COURSE_MIRROR": str(mirror), "COURSE_CACHE": str(folder.parent / "admin-cache")}
    done = course_cli("fetch", *ASSETS, "--dest", str(folder), "--quiet", env=admin, timeout=600)
    assert done.returncode == 0, done.stderr
    set_writable(folder, False)
    yield folder
    set_writable(folder, True)


def test_admin_fetch_is_idempotent_and_verify_passes(shared):
    before = snapshot(shared)
    env = {**os.environ, "COURSE_MIRROR": "/nonexistent"}  # a second fetch must not need any source
    again = course_cli("fetch", *ASSETS, "--dest", str(shared), "--quiet", env=env)
    assert again.returncode == 0, again.stderr
    assert snapshot(shared) == before  # nothing fetched twice, nothing rewritten
    verify = course_cli("verify", *ASSETS, "--dest", str(shared))
    assert verify.returncode == 0 and verify.stdout.count("ok") == len(ASSETS), verify.stdout


def test_concurrent_kernels_use_the_read_only_folder_in_place(shared, tmp_path):
    before = snapshot(shared)
    launcher = read_only_launcher(shared)
    homes = [tmp_path / f"user{i}" for i in range(USERS)]
    procs = []
    for home in homes:
        home.mkdir()
        procs.append(
            subprocess.Popen(
                [*(launcher or []), sys.executable, "-c", KERNEL],
                env={**user_env(home, shared), "TRY_WRITE": "0" if launcher is None else "1"},
                cwd=home,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = [p.communicate(timeout=600) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-2000:]
        result = json.loads(out.strip().splitlines()[-1])
        assert result["origins"] == {name: "shared" for name in ASSETS}
        assert (result["val"], result["dev"], result["bb"]) == (153, 872, "efficientnet_lite0")
        assert (result["digits"], result["tweets"]) == (5000, 11360)
        if launcher is not None:
            assert result["refused"] in (errno.EROFS, errno.EACCES), (
                f"the kernel wrote into the shared folder: {result}"
            )
    assert snapshot(shared) == before  # nothing written into the shared folder, not even a lock
    for home in homes:  # and nothing copied into any user's cache
        cache = home / ".cache" / "course"
        copied = [p for p in cache.rglob("*") if p.is_file()] if cache.exists() else []
        assert copied == [], copied
