"""The shared kit knows no suite: no module outside the suites (toolpast.tooluse, toolpast.qa) and their entry
points reaches a suite or the simulator (toolenv) by import, lazy imports and string-named modules included, as
codehash follows them. That is what keeps a stage key honest: a stage's key hashes the code its module reaches,
so a kit that reached toolenv would rebuild the QA suites' stages whenever a tool category changed."""

from __future__ import annotations

import shutil

from toolpast.codehash import CodeIndex, package_dirs

# Modules that may reach a suite: the command line (it offers every suite's commands), the tool-use benchmarks
# and the model server (it reuses toolenv's HTTP request reader, toolenv.http_body).
ENTRY_POINTS = ("toolpast.cli", "toolpast.__main__", "toolpast.bench.", "toolpast.serve")
SUITES = ("toolpast/tooluse/", "toolpast/qa/", "toolenv/")


def _kit(index: CodeIndex) -> list[str]:
    return sorted(m for m in index.modules if m.startswith("toolpast") and not m.startswith(
        ("toolpast.tooluse", "toolpast.qa", *ENTRY_POINTS)))


def test_no_kit_module_reaches_a_suite_or_toolenv():
    index = CodeIndex(package_dirs())
    kit = _kit(index)
    assert {"toolpast.stages.runner", "toolpast.stages.sft", "toolpast.stages.grpo", "toolpast.config",
            "toolpast.models.tiny", "toolpast.presets", "toolpast.vectors.inject"} <= set(kit)
    reach = {m: [f for f in index.closure([m]) if f.startswith(SUITES)] for m in kit}
    assert {m: files[:3] for m, files in reach.items() if files} == {}


def test_editing_toolenv_changes_no_qa_stage_key(tmp_path):
    """Every QA stage's key hashes the closure of a QA or kit module (the module defining its build function;
    stages.runner.stage_code): editing every toolenv file at once leaves all of those digests unchanged, while a
    tool-use stage's code does change (so the edit is one the index sees)."""
    root = tmp_path / "checkout"
    for package in package_dirs():
        shutil.copytree(package, root / package.name, ignore=shutil.ignore_patterns("__pycache__"))

    def digests() -> dict[str, str]:
        index = CodeIndex([root / "toolpast", root / "toolenv"])
        homes = [m for m in index.modules if m.startswith("toolpast.qa")] + _kit(index)
        return {m: index.digest([m]) for m in homes} | {"tool-use rl": index.digest(["toolpast.tooluse.rl"])}

    before = digests()
    edited = sorted((root / "toolenv").rglob("*.py"))
    assert len(edited) > 50
    for path in edited:
        path.write_text(path.read_text() + "\n# edited\n")
    after = digests()
    assert after.pop("tool-use rl") != before.pop("tool-use rl")
    assert {m for m in before if after[m] != before[m]} == set()
