"""The cpu preset turns bf16 autocast on only where the CPU computes bf16 natively (25x slower where it does not)."""

import pytest

from toolpast import cpu_bf16
from toolpast.tooluse.presets import get_preset


@pytest.fixture(autouse=True)
def _fresh():
    cpu_bf16.native_bf16.cache_clear()
    yield
    cpu_bf16.native_bf16.cache_clear()


def _autocast_switches(cfg) -> set[bool]:
    return {cfg.warmup.bf16_autocast, cfg.sft.bf16_autocast, cfg.sft.trajectories.bf16_autocast,
            cfg.rl.bf16_autocast, cfg.eval.bf16_autocast}


@pytest.mark.parametrize("answer", ["0", "1"])
def test_the_cpu_preset_follows_the_cpus_answer(monkeypatch, answer):
    monkeypatch.setenv(cpu_bf16.OVERRIDE, answer)
    assert _autocast_switches(get_preset("cpu")) == {answer == "1"}


@pytest.mark.parametrize("line,expected", [
    ("flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 amx_tile", True),
    ("flags\t\t: fpu sse2 avx2 fma", False),  # the AMD EPYC of 2026-12-07: emulated bf16
    ("Features\t: fp asimd sve bf16 i8mm", True),
])
def test_the_flags_are_read_from_cpuinfo(monkeypatch, tmp_path, line, expected):
    monkeypatch.delenv(cpu_bf16.OVERRIDE, raising=False)
    info = tmp_path / "cpuinfo"
    info.write_text(f"processor\t: 0\n{line}\n", encoding="utf-8")
    real = cpu_bf16.Path

    monkeypatch.setattr(cpu_bf16, "Path", lambda p: info if p == "/proc/cpuinfo" else real(p))
    assert cpu_bf16.native_bf16() is expected
