"""Pipeline variants: iterative skill refinement (K rounds), a lambda sweep, pre-injection, sequential fine-tuning
and target-domain RL. Fast tests check the stage wiring and keys with a recording runner; the slow ones run the
real smoke pipeline (TRL SFT and GRPO on the tiny random model) and check the weights and the cache reuse."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from safetensors.torch import load_file

import toolpast.tooluse.rl as rl_stage
from toolpast.artifacts import ArtifactStore, stage_key
from toolpast.stages.model_ref import Model
from toolpast.stages.runner import build_id
from toolpast.tooluse.data import eval_tasks, knowledge_rows, rl_tasks
from toolpast.tooluse.pipeline import run_pipeline
from toolpast.tooluse.presets import smoke
from toolpast.tooluse.refinement import refine
from toolpast.tooluse.stages import Stages
from toolpast.tooluse.variants import sweep, variant_models

NEW_VARIANTS = ["pre_injection", "sequential", "target_rl"]


class RecordingRunner:
    """Stands in for stages.runner.Runner: records (name, spec) and hands back an artifact-like object, runs nothing."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []

    def stage(self, name, spec, fn, check=None, about=None):
        self.calls.append((name, spec))
        key = stage_key(name.split(":")[0], spec)
        return SimpleNamespace(key=key, manifest=SimpleNamespace(started_at="t0"), path=Path("/nowhere") / key,
                               outputs={})

    def spec(self, name):
        return next(spec for n, spec in self.calls if n == name)


def _stages(**changes):
    cfg = smoke().model_copy(update=changes)
    runner = RecordingRunner()
    return Stages(cfg, runner, Model(Path("/base"), {"warmup": "w@t0"})), runner


def test_one_round_keeps_the_stage_keys_of_the_plain_pipeline():
    stages, runner = _stages()
    cfg, common = stages.cfg, {"world_seed": 0, "seed": 0, "dtype": "float32"}
    (only,) = refine(stages)
    assert [name for name, _ in runner.calls] == ["sft_source", "rl", "vector"] and only.start is None
    # exactly the specs `toolpast run` used before refinement existed, so old caches stay valid
    assert runner.spec("sft_source") == {**common, "start": {"warmup": "w@t0"}, "categories": ["movies"],
                                         "sft": cfg.sft.model_dump()}
    assert runner.spec("rl") == {**common, "start": build_id(only.sft), "categories": ["movies"],
                                 "rl": cfg.rl.model_dump()}
    assert runner.spec("vector") == {"rl": build_id(only.rl), "sft": build_id(only.sft)}


def test_round_two_starts_from_its_sft_plus_the_first_vector():
    stages, runner = _stages(refine_rounds=2)
    first, second = refine(stages)
    assert [name for name, _ in runner.calls] == ["sft_source:1/2", "rl:1/2", "vector:1/2", "sft_source:2/2",
                                                  "inject:start:2/2", "rl:2/2", "vector:2/2"]
    assert runner.spec("sft_source:2/2")["start"] == {"warmup": "w@t0"}  # every round's SFT starts from the base
    assert [runner.spec(f"sft_source:{k}/2")["round"] for k in (1, 2)] == [1, 2]
    assert runner.spec("inject:start:2/2") == {"model": build_id(second.sft), "vector": build_id(first.vector),
                                               "lam": 1.0}
    assert runner.spec("rl:2/2")["start"] == build_id(second.start)
    assert runner.spec("rl:2/2")["round"] == 2
    assert runner.spec("vector:2/2") == {"rl": build_id(second.rl), "sft": build_id(second.sft)}  # not the start


def test_new_variants_start_from_the_right_models():
    stages, runner = _stages(refine_rounds=2)
    rounds = refine(stages)
    sft_target = stages.knowledge_sft("sft_target", ["finance"], stages.base)
    pre, = variant_models("pre_injection", stages, rounds, lambda: sft_target)
    assert runner.spec("inject:pre") == {"model": {"warmup": "w@t0"}, "vector": build_id(rounds[-1].vector),
                                         "lam": 1.0}
    assert runner.spec("sft_target:pre")["categories"] == ["finance"]
    assert pre.variant.name == "pre_injection" and pre.variant.lam == 1.0 and pre.variant.rounds == 2
    seq, = variant_models("sequential", stages, rounds, lambda: sft_target)
    assert runner.spec("sft_target:seq")["start"] == build_id(rounds[-1].rl)
    assert seq.variant.rounds == 2 and seq.variant.lam is None
    ref, = variant_models("target_rl", stages, rounds, lambda: sft_target)
    assert runner.spec("rl:target")["start"] == build_id(sft_target)
    assert runner.spec("rl:target")["categories"] == ["finance"] and "round" not in runner.spec("rl:target")
    assert ref.variant.name == "target_rl" and ref.book == "closed"


def test_lambda_sweep_injects_once_per_distinct_lambda():
    assert sweep(1.0, []) == [1.0] and sweep(0.7, [0.5, 1, 0.5, 1.5]) == [0.5, 1.0, 1.5]
    stages, runner = _stages(lam_sweep=[0.5, 1.0, 1.5])
    rounds = refine(stages)
    sft_target = stages.knowledge_sft("sft_target", ["finance"], stages.base)
    cands = variant_models("past", stages, rounds, lambda: sft_target)
    assert [c.label for c in cands] == ["past@0.5", "past@1", "past@1.5"]
    assert [c.variant.lam for c in cands] == [0.5, 1.0, 1.5]
    assert [runner.spec(f"inject:{x}")["lam"] for x in ("0.5", "1", "1.5")] == [0.5, 1.0, 1.5]


def test_forced_stage_rebuilds_once_per_run_and_every_key_of_it(tmp_path):
    from toolpast.stages.runner import Runner

    calls = []

    def build(tag):
        return lambda workdir: calls.append(tag) or {"tag": tag}

    store = ArtifactStore(tmp_path)
    Runner(store, set()).stage("rl:1/2", {"round": 1}, build("a"))
    Runner(store, set()).stage("rl:2/2", {"round": 2}, build("b"))
    forced = Runner(store, {"rl"})
    for _ in range(2):  # the same key asked twice in one run: rebuilt the first time only
        forced.stage("rl:1/2", {"round": 1}, build("a"))
    forced.stage("rl:2/2", {"round": 2}, build("b"))  # every round of a forced stage kind
    assert calls == ["a", "b", "a", "b"]


# --- the real smoke pipeline -------------------------------------------------------------------------------------


class CountingStore(ArtifactStore):
    """The real store, remembering each stage request: (stage, spec, artifact, reused)."""

    def __init__(self, root: Path):
        super().__init__(root)
        self.events: list = []

    def run(self, stage, spec, fn, force=False):
        artifact, reused = super().run(stage, spec, fn, force=force)
        self.events.append((stage, spec, artifact, reused))
        return artifact, reused


def env_reward(completions, env_reward, **kwargs):
    """Alternating 0/1 per completion: every GRPO group has reward variance, so RL moves the tiny random model
    (its real reward is 0 everywhere and GRPO would leave it unchanged, making v = 0 and the checks vacuous)."""
    return [float(i % 2) for i in range(len(completions))]


def _config(**changes):
    cfg = smoke()
    cfg.rl.steps, cfg.eval.tasks, cfg.eval.batch_size = 1, 3, 3
    return cfg.model_copy(update={"refine_rounds": 2, **changes})


@pytest.fixture(scope="module")
def runs(session_home, tiny_model_dir, tmp_path_factory):
    """One store, four runs: K=2; + a lambda sweep; + the new variants; the same again."""
    boards = tmp_path_factory.mktemp("variant_boards")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLPAST_HOME", str(session_home))
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setattr(rl_stage, "env_reward", env_reward)
        store = CountingStore(tmp_path_factory.mktemp("variant_store"))
        results = {}
        sweep_ = [0.5, 1.0, 1.5]
        for label, cfg in [("k2", _config()), ("sweep", _config(lam_sweep=sweep_)),
                           ("variants", _config(lam_sweep=sweep_, eval=_config().eval.model_copy(
                               update={"variants": ["base", "sft", "past", "open_book", *NEW_VARIANTS]}))),
                           ("rerun", None)]:
            cfg = cfg or results["variants"][2]
            store.events = []
            board, _ = run_pipeline(cfg, export=boards / f"{label}.json", store=store)
            results[label] = (board, store.events, cfg)
        yield results


def _built(events):
    return sorted((stage, spec.get("lam")) for stage, spec, _, reused in events if not reused)


def _weights(directory: Path) -> dict[str, torch.Tensor]:
    tensors = {}
    for path in sorted(directory.glob("*.safetensors")):
        tensors.update(load_file(path))
    return tensors


def _find(events, stage, **match):
    found = [a for s, spec, a, _ in events if s == stage and all(spec.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (stage, match, found)
    return found[0]


@pytest.mark.slow
def test_two_rounds_inject_the_first_vector_and_extract_against_sft(runs):
    board, events, cfg = runs["k2"]
    sft = {k: _find(events, "sft_source", round=k) for k in (1, 2)}
    rl = {k: _find(events, "rl", round=k) for k in (1, 2)}
    v1 = _find(events, "vector", rl=build_id(rl[1]), sft=build_id(sft[1]))
    start2 = _find(events, "inject", model=build_id(sft[2]), vector=build_id(v1))
    v2 = _find(events, "vector", rl=build_id(rl[2]), sft=build_id(sft[2]))
    assert rl[2].manifest.spec["start"] == build_id(start2) and rl[1].manifest.spec["start"] == build_id(sft[1])

    w_sft2, w_v1, w_start2 = (_weights(sft[2].path / "model"), _weights(v1.path / "vector"),
                              _weights(start2.path / "model"))
    assert any(t.abs().max() > 0 for t in w_v1.values()), "RL did not move: v_1 = 0 makes this test vacuous"
    assert set(w_v1) <= set(w_sft2) and set(w_start2) == set(w_sft2)
    for name, weight in w_sft2.items():  # start_2 = sft_2 + v_1 exactly, in fp32
        assert weight.dtype == torch.float32
        expected = weight + w_v1[name] if name in w_v1 else weight
        assert torch.equal(w_start2[name], expected), name
    w_rl2, w_v2 = _weights(rl[2].path / "model"), _weights(v2.path / "vector")
    for name, delta in w_v2.items():  # v_2 = rl_2 - sft_2, not rl_2 - start_2
        assert torch.equal(delta, w_rl2[name] - w_sft2[name]), name
    assert not all(torch.equal(w_v2[n], w_v1[n]) for n in w_v1)

    # each round trained on its own part of the source data
    trained = [{json.loads(line)["task_id"] for line in (rl[k].path / "rollouts.jsonl").read_text().splitlines()}
               for k in (1, 2)]
    parts = [{t.id for t in rl_tasks(cfg, (k, 2))} for k in (1, 2)]
    assert trained[0] <= parts[0] and trained[1] <= parts[1] and not parts[0] & parts[1]
    docs = [len(knowledge_rows(cfg.source, cfg, (k, 2))) for k in (1, 2)]
    assert [sft[k].outputs["rows"] for k in (1, 2)] == docs and sum(docs) == len(knowledge_rows(cfg.source, cfg))

    past = [e for e in board.entries if e.variant.name == "past"]
    assert len(past) == 1 and past[0].variant.rounds == 2 and past[0].variant.vector_id == v2.key


@pytest.mark.slow
def test_lambda_sweep_adds_only_injections_and_their_evals(runs):
    board, events, _ = runs["sweep"]
    assert _built(events) == [("eval", None), ("eval", None), ("inject", 0.5), ("inject", 1.5)]
    past = sorted((e for e in board.entries if e.variant.name == "past"), key=lambda e: e.variant.lam)
    assert [e.variant.lam for e in past] == [0.5, 1.0, 1.5]
    assert len({e.variant.vector_id for e in past}) == 1 and {e.variant.rounds for e in past} == {2}
    assert len({e.model.weights_sha256 for e in past}) == 3


@pytest.mark.slow
def test_new_variants_build_only_their_own_stages(runs):
    board, events, cfg = runs["variants"]
    built = [(stage, spec) for stage, spec, _, reused in events if not reused]
    assert sorted(stage for stage, _ in built) == ["eval", "eval", "eval", "inject", "rl", "sft_target",
                                                   "sft_target"]
    assert {e.variant.name for e in board.entries} == {"base", "sft", "past", "open_book", *NEW_VARIANTS}
    assert len(board.entries) == 3 + 3 + len(NEW_VARIANTS)  # three past entries from the sweep

    target_rl = next(a for s, spec, a, _ in events if s == "rl" and spec["categories"] == ["finance"])
    trained = {json.loads(line)["task_id"] for line in (target_rl.path / "rollouts.jsonl").read_text().splitlines()}
    assert trained and all(t.startswith("finance/train/") for t in trained)
    assert not trained & {t.id for t in eval_tasks(cfg)}
    pre = next(e for e in board.entries if e.variant.name == "pre_injection")
    assert pre.variant.lam == cfg.lam and pre.variant.rounds == 2


@pytest.mark.slow
def test_rerun_builds_nothing(runs):
    board, events, _ = runs["rerun"]
    assert events and _built(events) == []
    assert len(board.entries) == len(runs["variants"][0].entries)


def test_bad_rounds_and_lambdas_fail_before_any_stage(tmp_path):
    store = CountingStore(tmp_path / "store")
    with pytest.raises(ValueError, match="refine_rounds=5 needs at least 5 RL training tasks in movies, found 4"):
        run_pipeline(smoke().model_copy(update={"refine_rounds": 5}), export=tmp_path / "b.json", store=store)
    with pytest.raises(ValueError, match="must be finite"):
        run_pipeline(smoke().model_copy(update={"lam_sweep": [0.5, float("nan")]}), export=tmp_path / "b.json",
                     store=store)
    with pytest.raises(ValueError, match=r"must fit in float32 .* got \[1e\+39\]"):
        run_pipeline(smoke().model_copy(update={"lam": 1e39}), export=tmp_path / "b.json", store=store)
    assert store.events == []


def test_base_and_open_book_never_build_the_target_sft():
    stages, runner = _stages()
    rounds = refine(stages)

    def refuse():
        raise AssertionError("base / open_book must not need the target SFT")

    for name in ("base", "open_book"):
        candidate, = variant_models(name, stages, rounds, refuse)
        assert candidate.model == stages.base
    assert not [n for n, _ in runner.calls if n.startswith("sft_target")]


def test_a_policy_choice_keys_rl_by_its_scoring_settings_only():
    """rl.select_every adds the scoring settings to the rl key; the eval split and task count do not enter it,
    so a test-split sweep reuses the RL of a validation sweep."""
    def rl_spec(**eval_changes):
        base = smoke()
        stages, runner = _stages(rl=base.rl.model_copy(update={"select_every": 1}),
                                 eval=base.eval.model_copy(update=eval_changes))
        refine(stages)
        return runner.spec("rl")

    spec = rl_spec()
    assert set(spec["select"]["eval"]) == {"backend", "batch_size", "max_turns", "max_new_tokens", "bf16_autocast"}
    assert rl_spec(split="validation", tasks=3) == spec
    assert rl_spec(max_turns=7) != spec
    plain_stages, plain = _stages()
    refine(plain_stages)
    assert "select" not in plain.spec("rl")
