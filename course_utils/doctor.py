"""An honest report on this machine: versions, CPU, memory, assets, backbone, network."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import assets, config, threads
from .claims import TIMING_ONLY_ENV, timing_only
from .errors import ParameterError
from .inference_speed import cpu_flags
from .models import BACKBONES, choose_backbone

# intel-extension-for-pytorch is retired upstream; its last release needs torch 2.8 and
# cannot load beside the torch this course pins, so the course uses PyTorch's own CPU paths.
IPEX = "intel_extension_for_pytorch"


@dataclass
class Check:
    name: str
    value: str
    ok: bool = True


def needed_assets() -> list[str]:
    """Assets this run's notebooks use: the data, the text encoder and the chosen backbone's weights
    (not in a timing-only run, whose vision weights are random)."""
    backbone, _ = choose_backbone()
    vision = [] if timing_only() else [BACKBONES[backbone]]
    text = ["all-MiniLM-L6-v2", "all-mpnet-base-v2"]
    return ["hymenoptera", "sst2", *text, "mnist-5k", "crowdflower-sentiment", *vision]


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_summary() -> str:
    flags = cpu_flags()
    if not flags:
        return platform.processor() or platform.machine()
    shown = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile") if f in flags]
    note = (
        "" if {"avx512_bf16", "amx_bf16"} & flags else " (no bf16 hardware: keep float32, bf16 autocast is slower here)"
    )
    return f"{platform.machine()}, flags: {', '.join(shown) or 'none of avx2/avx512/amx'}{note}"


PYPI = "https://pypi.org/simple/"


def public_hosts() -> dict[str, list[str]]:
    """Each public source's site (scheme and host), with the assets that come from it."""
    hosts: dict[str, list[str]] = {}
    for asset in assets.registry().values():
        for source in (asset.public, asset.fallback):
            if source is None:
                continue
            url = source.url or os.environ.get("PIP_INDEX_URL", "").strip() or PYPI
            parts = urlsplit(url)
            hosts.setdefault(f"{parts.scheme}://{parts.netloc}/", []).append(asset.name)
    return hosts


def _probe(url: str, timeout: float) -> str:
    """'' if the site answers (any HTTP status), else why not. Goes through the user's proxy
    settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), as every download of the course does."""
    try:
        opener = urllib.request.build_opener()  # reads the proxy variables now, not at first use
        with opener.open(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return ""
    except urllib.error.HTTPError:  # the server answered, if only to refuse a HEAD request
        return ""
    except urllib.error.URLError as exc:
        reason = exc.reason
        return getattr(reason, "strerror", None) or str(reason)
    except (OSError, ValueError) as exc:
        return getattr(exc, "strerror", None) or type(exc).__name__


def network_status(timeout: float = 3.0) -> dict[str, str]:
    """Each public source's site -> '' (reachable) or why not. Empty in offline mode, which
    never touches the network. Sites are probed at once, and the whole check ends within
    about ``timeout`` seconds even where a name lookup hangs."""
    if assets.is_offline():
        return {}
    results: dict[str, str] = {}
    threads = []
    hosts = public_hosts()
    for url in hosts:
        thread = threading.Thread(target=lambda u=url: results.__setitem__(u, _probe(u, timeout)), daemon=True)
        thread.start()
        threads.append(thread)
    deadline = time.monotonic() + timeout + 0.5
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return {url: results.get(url, f"no answer within {timeout:g} s") for url in hosts}


def _network_rows(needed: list[str]) -> list[Check]:
    if assets.is_offline():
        return [Check("network", "not checked (COURSE_OFFLINE=1: public sources are not used)")]
    hosts = public_hosts()
    rows = []
    for url, problem in network_status().items():
        host = urlsplit(url).netloc
        if not problem:
            rows.append(Check(f"network {host}", "reachable"))
            continue
        # Only a problem when an asset this run needs is missing and comes from there.
        stuck = [n for n in hosts[url] if n in needed and assets.status(n)[0] != "ok"]
        advice = f"; {', '.join(stuck)} cannot be fetched" if stuck else "; nothing this run needs comes from there"
        rows.append(Check(f"network {host}", f"not reachable ({problem}){advice}", ok=not stuck))
    return rows


def _threads_row() -> Check:
    """How many threads the notebooks will use, and whether idle ones sleep (course_utils/threads.py)."""
    try:
        cpus = threads.usable_cpus()
    except ParameterError as exc:
        return Check("threads", str(exc), ok=False)
    policy = threads.wait_policy()
    advice = "" if policy.upper() == "PASSIVE" else " (set it to PASSIVE where kernels share cores)"
    text = f"notebooks use {cpus} (CPUs this process may use); {threads.WAIT_POLICY_ENV}: {policy}{advice}"
    return Check("threads", text)


def _settings_row() -> Check:
    """The course's settings this run has (course_utils/config.py), and any it cannot use."""
    bad = config.problems()
    if bad:
        return Check("settings", " ".join(bad), ok=False)
    shown = [f"{name}={value}" for name, value in config.current() if value]
    return Check("settings", ", ".join(shown) if shown else "none set (python -m course_utils settings lists them)")


def checks() -> list[Check]:
    """Everything the report shows, as (name, value, ok) rows."""
    import psutil
    import torch

    mem = psutil.virtual_memory()
    rows = [
        Check("python", sys.version.split()[0]),
        Check("torch", f"{torch.__version__} ({torch.get_num_threads()} threads, {os.cpu_count()} CPUs)"),
        _settings_row(),
        _threads_row(),
        Check("torchvision", _version("torchvision")),
        Check("transformers", _version("transformers")),
        Check("sentence-transformers", _version("sentence-transformers")),
        Check("setfit", _version("setfit")),
        Check("cpu", _cpu_summary()),
        Check("memory", f"{mem.total / 2**30:.1f} GiB total, {mem.available / 2**30:.1f} GiB available"),
        Check(
            "accelerator", "CUDA" if torch.cuda.is_available() else "none (CPU only; every notebook is built for this)"
        ),
    ]
    if config.problems():  # the rows below read the settings: fix them first
        return rows
    ipex = importlib.util.find_spec(IPEX) is not None
    rows.append(
        Check(
            "intel-extension-for-pytorch",
            "installed, but retired upstream and incompatible with this torch: uninstall it"
            if ipex
            else "not installed (retired upstream; not needed)",
            ok=not ipex,
        )
    )
    backbone, reason = choose_backbone()
    rows.append(Check("vision backbone", f"{backbone} ({reason})"))
    if timing_only():  # a benchmark setting: a learner who has it set would train on random weights
        rows.append(Check("timing-only mode", f"{TIMING_ONLY_ENV} set: vision weights are RANDOM; unset it", ok=False))
    rows.append(Check("cache", str(assets.cache_dir())))
    shared = assets.shared_dirs()
    rows.append(
        Check("shared folders", os.pathsep.join(map(str, shared)) if shared else "none (COURSE_SHARED_DATA unset)")
    )
    rows.append(Check("mirror", assets.mirror_location() or "none (COURSE_MIRROR unset)"))
    needed = needed_assets()
    rows += _network_rows(needed)
    for name in assets.registry():
        state, where = assets.status(name)
        role = "needed" if name in needed else "optional"
        text = f"ok at {where}" if where else f"{state} ({role})"
        rows.append(Check(f"asset {name}", text, ok=state == "ok" or name not in needed))
    return rows


def report(file=None) -> bool:
    """Print the report; True when everything this run needs is in place."""
    file = file or sys.stdout
    rows = checks()
    width = max(len(r.name) for r in rows)
    for r in rows:
        print(f"{'ok ' if r.ok else '!! '} {r.name:<{width}}  {r.value}", file=file)
    missing = [r.name.removeprefix("asset ") for r in rows if not r.ok and r.name.startswith("asset ")]
    if missing:
        print(f"\nMissing assets: {', '.join(missing)}. Fix: python -m course_utils fetch", file=file)
    return all(r.ok for r in rows)
