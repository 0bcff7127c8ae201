"""Notebook 07's IPEX cell, run for real in the IPEX environment (torch 2.8 + IPEX 2.8).

The course's own environment cannot import IPEX (it needs the PyTorch it was built for), so
nbval only sees the cell's "not installed" branch. This test builds the environment from
requirements/ipex.txt (once per machine, outside the checkout: several GB and a few minutes cold)
and runs the cell there through benchmarks/ipex_probe.py.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def load_bench():
    spec = importlib.util.spec_from_file_location("ipex_bench", REPO / "benchmarks" / "ipex_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ipex_bench = load_bench()


def test_env_folder_is_named_by_the_pinned_requirements(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_IPEX_ENV", raising=False)
    name = ipex_bench.env_dir().name
    assert name.startswith("ipex-env-") and len(name) == len("ipex-env-") + 12
    requirements = tmp_path / "ipex.txt"
    requirements.write_text(ipex_bench.REQUIREMENTS.read_text() + "\n# changed\n")
    monkeypatch.setattr(ipex_bench, "REQUIREMENTS", requirements)
    assert ipex_bench.env_dir().name != name  # new pins, new environment
    monkeypatch.setenv("COURSE_IPEX_ENV", str(tmp_path / "mine"))
    assert ipex_bench.env_dir() == tmp_path / "mine"


def test_requirements_pin_every_package_exactly():
    lines = [line for line in ipex_bench.REQUIREMENTS.read_text().splitlines() if line and not line.startswith("#")]
    assert lines and all("==" in line for line in lines), [line for line in lines if "==" not in line]
    pins = dict(line.split("==") for line in lines)
    assert pins["intel_extension_for_pytorch"] == "2.8.0"
    assert pins["torch"] == "2.8.0"


def test_report_gives_each_environment_its_own_baseline():
    def result(torch, ipex, rows):
        return {
            "measured": "2026-11-27 22:00 UTC", "cpu": "Test CPU", "cpu_features": {"avx2": True, "vnni": False},
            "threads": 2, "python": "3.11.7", "torch": torch, "ipex": ipex, "rows": rows,
        }  # fmt: skip

    def row(throughput):
        return {
            "accuracy": 0.8, "agreement with float32": 1.0, "size (MB)": 90.9, "latency (ms, batch 1)": 10.0,
            "throughput (sentences/s, batch 32)": throughput, "spread": 0.1, "dev pass (s)": 4.0,
        }  # fmt: skip

    page = ipex_bench.report(
        [
            result("2.14.1", None, {"float32 (eager)": row(100), "compiled": row(150)}),
            result("2.8.0", "2.8.0", {"float32 (eager)": row(200), "IPEX optimize (float32)": row(300)}),
        ]
    )
    assert "Test CPU (avx2)" in page
    assert "| torch 2.14.1 | compiled |" in page and "| 1.50x |" in page
    assert "| torch 2.8.0 + IPEX 2.8.0 | IPEX optimize (float32) |" in page  # 300 / its own 200
    assert page.count("| 1.00x |") == 2


def test_the_probe_finds_the_notebooks_one_ipex_cell():
    spec = importlib.util.spec_from_file_location("ipex_probe", REPO / "benchmarks" / "ipex_probe.py")
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    import nbformat

    tagged = [
        c.source for c in nbformat.read(probe.NOTEBOOK, as_version=4).cells if "ipex" in c.metadata.get("tags", [])
    ]
    assert tagged == [probe.ipex_cell()]
    assert "import intel_extension_for_pytorch as ipex" in tagged[0]


def test_ipex_cell_runs_in_the_ipex_environment(tmp_path):
    python = ipex_bench.ensure_env(sys.executable)
    result = ipex_bench.run_probe(python, tmp_path / "ipex.json", "--skip-native")
    assert result["ipex"].startswith("2.8.0") and result["torch"].startswith("2.8.0")
    rows = result["rows"]
    assert set(rows) == {"float32 (eager)", "IPEX optimize (float32)", "IPEX + TorchScript freeze (float32)"}
    eager = rows["float32 (eager)"]
    assert eager["accuracy"] > 0.75, "the classifier is notebook 07's (0.798 on SST-2 dev in both environments)"
    for name in ("IPEX optimize (float32)", "IPEX + TorchScript freeze (float32)"):
        # float32 throughout: IPEX's fusions reorder sums, which may flip a sentence on the boundary.
        assert rows[name]["agreement with float32"] >= 0.995, (name, rows[name])
        assert abs(rows[name]["accuracy"] - eager["accuracy"]) <= 0.005, (name, rows[name])
    print(json.dumps(rows, indent=1))
