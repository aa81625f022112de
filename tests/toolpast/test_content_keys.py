"""Stage keys and build ids are content addresses: the same run in two homes gets the same ids (and one leaderboard
row per evaluation after a merge), a forced rebuild still rebuilds everything downstream, and the code a stage
runs is part of its key (editing tooluse/rl.py changes RL's key, editing a README or the leaderboard page does not).

The pipeline runs for real (stage wiring, store, vector extract and inject, evaluation of the tiny model) except
that SFT and GRPO are replaced by a copy of their start model: training costs a minute and proves nothing here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import toolpast.tooluse.stages as tool_stages
from toolpast.artifacts import Artifact, ArtifactStore
from toolpast.codehash import CodeIndex, package_dirs
from toolpast.leaderboard.merge import merge_boards
from toolpast.stages.runner import Runner, stage_code
from toolpast.tooluse.pipeline import run_pipeline
from toolpast.tooluse.presets import smoke
from toolpast.tooluse.stages import STAGE_CODE


def _copy_model(start_model, rows, cfg, workdir, seed, dtype, title="", choice=None) -> dict:
    shutil.copytree(start_model, workdir / "model")
    return {"rows": len(rows)}


def _config():
    cfg = smoke()
    cfg.eval = cfg.eval.model_copy(update={"tasks": 2, "batch_size": 4, "max_turns": 1, "max_new_tokens": 8,
                                           "knowledge_probes": False})
    return cfg.model_copy(update={"model": "tiny-random"})


class Store(ArtifactStore):
    """The real store, remembering which stages it built (not reused)."""

    def __init__(self, root: Path):
        super().__init__(root)
        self.built: list[str] = []

    def run(self, stage, spec, fn, force=False):
        artifact, reused = super().run(stage, spec, fn, force=force)
        if not reused:
            self.built.append(stage)
        return artifact, reused


@pytest.fixture
def fast_training(monkeypatch, tiny_model_dir):
    monkeypatch.setattr(tool_stages, "run_sft", _copy_model)
    monkeypatch.setattr(tool_stages, "run_rl", _copy_model)


def _keys(root: Path) -> set[str]:
    return {f"{p.parent.name}/{p.name}" for p in root.glob("*/*") if (p / "manifest.json").is_file()}


def test_identical_runs_in_two_homes_have_identical_ids_and_merge_to_one_row_each(fast_training, tmp_path):
    boards, stores = [], []
    for home in ("a", "b"):
        store = Store(tmp_path / home / "artifacts")
        board, _ = run_pipeline(_config(), export=tmp_path / home / "board.json", store=store)
        boards.append(board)
        stores.append(store)
    assert _keys(stores[0].root) == _keys(stores[1].root) and len(_keys(stores[0].root)) >= 10
    ids = [{e.variant.name: e.variant.vector_id for e in board.entries} for board in boards]
    assert ids[0] == ids[1] and ids[0]["past"]
    merged = merge_boards(boards)
    assert len(boards[0].entries) == 4 and len(merged.board.entries) == 4 and merged.replaced == 4


def test_forced_stage_rebuilds_downstream_now_and_after_a_killed_run(fast_training, tiny_model_dir, tmp_path):
    store = Store(tmp_path / "artifacts")
    cfg, export = _config(), tmp_path / "board.json"
    run_pipeline(cfg, export=export, store=store)
    keys = _keys(store.root)

    store.built = []
    run_pipeline(cfg, force={"rl"}, export=export, store=store)
    downstream = ["eval", "inject", "orthogonality", "rl", "vector"]
    assert sorted(set(store.built)) == downstream and store.built.count("eval") == 1  # past only
    assert _keys(store.root) == keys  # the same ids: a rebuild is a new build of the same content address

    # a forced rebuild of RL alone, as a run killed right after it leaves it: the next plain run sees that RL was
    # rebuilt after the vector was made from it, and rebuilds what depends on it
    (rl,) = [Artifact(p) for p in (store.root / "rl").iterdir() if (p / "manifest.json").is_file()]
    store.run("rl", rl.manifest.spec, lambda w: _copy_model(tiny_model_dir, [], None, w, 0, ""), force=True)
    store.built = []
    run_pipeline(cfg, export=export, store=store)
    assert sorted(set(store.built)) == ["eval", "inject", "orthogonality", "vector"]
    store.built = []
    run_pipeline(cfg, export=export, store=store)
    assert store.built == []


def _tree(tmp_path: Path, name: str, packages: list[Path] | None = None) -> Path:
    """A copy of the toolpast and toolenv packages, as another checkout would have them."""
    root = tmp_path / name
    for package in packages or package_dirs():
        shutil.copytree(package, root / package.name, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "README.md").write_text("docs\n")
    return root


def _digests(root: Path) -> dict[str, str]:
    index = CodeIndex([root / "toolpast", root / "toolenv"])
    return {kind: index.digest(roots, ("toolpast.tooluse.stages",)) for kind, roots in STAGE_CODE.items()}


def _edit(path: Path) -> None:
    path.write_text(path.read_text() + "\n# edited\n")


def test_code_digest_follows_exactly_the_code_a_stage_runs(tmp_path):
    root = _tree(tmp_path, "checkout")
    before = _digests(root)
    elsewhere = _tree(tmp_path, "elsewhere", [root / "toolpast", root / "toolenv"])
    assert _digests(elsewhere) == before  # the checkout's location does not matter

    (root / "README.md").write_text("other docs\n")
    _edit(root / "toolpast" / "leaderboard" / "html.py")
    _edit(root / "toolpast" / "cli.py")
    assert _digests(root) == before  # docs, the CLI and the leaderboard page are no stage's code

    _edit(root / "toolpast" / "tooluse" / "rl.py")
    after = _digests(root)
    assert {kind for kind in before if after[kind] != before[kind]} == {"rl"}

    _edit(root / "toolpast" / "templates" / "chatml_training.jinja")  # data file named in stages/sft.py
    changed = {kind for kind, digest in _digests(root).items() if digest != after[kind]}
    assert changed == {"warmup", "sft_source", "sft_target"}

    before = _digests(root)
    _edit(root / "toolenv" / "categories" / "finance.py")  # reached only through pkgutil.iter_modules
    changed = {kind for kind, digest in _digests(root).items() if digest != before[kind]}
    assert {"rl", "eval", "sft_source"} <= changed

    before = _digests(root)
    _edit(root / "toolpast" / "tooluse" / "stages.py")  # the stages' build functions live there
    assert all(digest != before[kind] for kind, digest in _digests(root).items())


def test_runner_keys_a_stage_by_its_code(tmp_path):
    store = ArtifactStore(tmp_path)

    def build(workdir):
        return {}

    artifact = Runner(store, set(), code=STAGE_CODE).stage("rl", {"k": 1}, build)
    assert artifact.manifest.spec == {"k": 1, "code": stage_code("rl", build, STAGE_CODE)}
    assert stage_code("rl", build, STAGE_CODE) != stage_code("vector", build, STAGE_CODE)
    assert stage_code("rl", build) == stage_code("vector", build)  # a runner told no kinds: the home's closure
    assert stage_code("qa_rl", build) == stage_code("qa_other", build)  # unknown kinds: all of the packages
