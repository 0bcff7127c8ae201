"""course_utils.inference_speed: fair timings, sizes on disk and the CPU's instruction sets."""

from __future__ import annotations

import time

import pytest
import torch

from course_utils.errors import ParameterError
from course_utils.inference_speed import (
    Speed,
    cpu_features,
    cpu_flags,
    cpu_name,
    measure,
    measure_side_by_side,
    size_mb,
)

AMD_EPYC = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx avx2 fma\n"
XEON_512 = "model name\t: Intel Xeon\nflags\t\t: avx2 avx512f avx512bw avx512vl\n"
SAPPHIRE = "model name\t: Intel Xeon Platinum\nflags\t\t: avx2 avx512f avx512_vnni avx512_bf16 amx_tile amx_int8\n"


def test_measure_warms_up_then_times_the_same_batch():
    calls = []
    speed = measure(calls.append, "the batch", 8, warmup=3, repeats=5)
    assert calls == ["the batch"] * (3 + 5)
    assert len(speed.seconds) == 5 and speed.items == 8
    assert speed.throughput == pytest.approx(8 / speed.median_s)
    assert speed.latency_ms == pytest.approx(1000 * speed.median_s)


def test_measure_sets_and_restores_the_thread_count():
    before = torch.get_num_threads()
    seen = []
    measure(lambda _: seen.append(torch.get_num_threads()), None, 1, warmup=0, repeats=2, threads=1)
    assert seen == [1, 1]
    assert torch.get_num_threads() == before


def test_speed_summarises_median_and_spread():
    speed = Speed(items=32, threads=1, seconds=(0.2, 0.1, 0.1, 0.3, 0.1))
    assert speed.median_s == 0.1
    assert speed.throughput == pytest.approx(320)
    assert speed.spread == pytest.approx(2.0)
    assert Speed(items=32, threads=1, seconds=(0.4, 0.2, 0.8)).fastest_throughput == pytest.approx(160)
    assert "320 items/s" in str(speed) and "median of 5" in str(speed)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"items": 0}, "items must be a whole number of at least 1"),
        ({"repeats": 0}, "repeats must be"),
        ({"warmup": -1}, "warmup must be"),
        ({"items": True}, "items must be"),
    ],
)
def test_measure_refuses_settings_it_cannot_time(kwargs, words):
    with pytest.raises(ParameterError, match=words):
        measure(lambda batch: None, None, **({"items": 4} | kwargs))


def test_measure_refuses_a_run_that_is_not_a_function():
    with pytest.raises(ParameterError, match="run must be a function"):
        measure("model", None, 2)


def test_side_by_side_takes_turns_so_a_slow_moment_hits_every_model():
    calls = []

    def make(name, cost):
        def run(batch):
            calls.append(name)
            busy = 3 if len(calls) in (5, 6) else 1  # the machine is busy for one whole round
            end = time.perf_counter() + cost * busy
            while time.perf_counter() < end:
                pass

        return run

    speeds = measure_side_by_side({"a": make("a", 0.002), "b": make("b", 0.004)}, "batch", 8, warmup=1, repeats=5)
    assert calls == ["a", "b"] + ["a", "b"] * 5  # one warm-up each, then alternating rounds
    assert set(speeds) == {"a", "b"} and all(len(s.seconds) == 5 for s in speeds.values())
    assert 1.6 < speeds["a"].throughput / speeds["b"].throughput < 2.4  # the busy round hit both
    assert 1.8 < speeds["a"].fastest_throughput / speeds["b"].fastest_throughput < 2.2  # and not their best
    with pytest.raises(ParameterError, match="runs must map"):
        measure_side_by_side({}, "batch", 8)
    with pytest.raises(ParameterError, match="repeats"):
        measure_side_by_side({"a": make("a", 0)}, "batch", 8, repeats=0)


def test_size_of_files_folders_and_modules(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"x" * 2_000_000)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "model.xml").write_bytes(b"x" * 500_000)
    assert size_mb(tmp_path / "model.bin") == pytest.approx(2.0)
    assert size_mb(tmp_path) == pytest.approx(2.5)
    linear = torch.nn.Linear(1000, 250)  # 250,250 float32 numbers: about 1 MB
    assert size_mb(linear) == pytest.approx(250_250 * 4 / 1e6, rel=0.01)
    assert size_mb(linear.state_dict()) == pytest.approx(size_mb(linear))
    with pytest.raises(ParameterError, match="neither a file nor a folder"):
        size_mb(tmp_path / "missing.onnx")
    with pytest.raises(ParameterError, match="takes a path, a torch module or a state dict"):
        size_mb(42)


def test_cpu_features_read_from_the_flags():
    assert cpu_features(AMD_EPYC) == {"avx2": True, "avx512": False, "vnni": False, "avx512_bf16": False, "amx": False}
    assert cpu_features(XEON_512)["avx512"] and not cpu_features(XEON_512)["vnni"]
    assert all(cpu_features(SAPPHIRE).values())
    assert cpu_features("no flags here") == dict.fromkeys(("avx2", "avx512", "vnni", "avx512_bf16", "amx"))
    assert cpu_name(SAPPHIRE) == "Intel Xeon Platinum"
    assert set(cpu_features()) == {"avx2", "avx512", "vnni", "avx512_bf16", "amx"}  # this machine, whatever it has


def test_one_flag_reader_for_the_doctor_and_notebook_07(monkeypatch):
    assert {"avx2", "fma"} <= cpu_flags(AMD_EPYC) and "avx512f" not in cpu_flags(AMD_EPYC)
    assert cpu_flags("model name : no flags line") == set()
    from course_utils import doctor, inference_speed

    monkeypatch.setattr(inference_speed, "_cpuinfo", lambda: SAPPHIRE)
    assert "avx512_bf16" in doctor._cpu_summary() and "no bf16 hardware" not in doctor._cpu_summary()
    monkeypatch.setattr(inference_speed, "_cpuinfo", lambda: AMD_EPYC)
    assert "no bf16 hardware" in doctor._cpu_summary()


def test_openvino_telemetry_off_sends_nothing_and_writes_nothing(tmp_path):
    """With the switch on, importing OpenVINO and NNCF forks no reporting process and leaves HOME empty."""
    import os
    import subprocess
    import sys

    pytest.importorskip("openvino")
    script = (
        "import psutil, time\n"
        "from course_utils.telemetry import openvino_telemetry_off\n"
        "assert openvino_telemetry_off()\n"
        "import openvino, nncf\n"
        "time.sleep(0.5)\n"
        "print(len(psutil.Process().children(recursive=True)))\n"
    )
    env = {**os.environ, "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split()[-1] == "0"
    assert list(tmp_path.iterdir()) == []
