"""Nothing poisoned is published: a training or injection stage whose weights hold inf or nan fails in one line
naming the stage, the first bad tensor and the likely cause, leaves no finished artifact nor checkpoints to resume,
and builds normally once the cause is gone."""

import pytest
import torch
from transformers import TrainerCallback

import toolenv
from toolpast.artifacts import ArtifactStore
from toolpast.config import TrainConfig
from toolpast.models import load_model
from toolpast.stages.model_ref import Model
from toolpast.stages.runner import Runner
from toolpast.stages.sft import run_sft
from toolpast.tooluse.config import RLConfig
from toolpast.tooluse.rl import run_rl
from toolpast.vectors.errors import NonFiniteModel

ROWS = [{"text": f"The finance API quote_{i} returns the price of stock {i}."} for i in range(4)]
SFT = TrainConfig(steps=2, batch_size=2, max_length=32, save_every=1, learning_rate=1e-3)


class Diverge(TrainerCallback):
    """What a learning rate far too high does, at once: one weight becomes nan after each optimizer step."""

    def on_step_end(self, args, state, control, model=None, **kwargs):
        with torch.no_grad():
            model.get_input_embeddings().weight[3, 1] = float("nan")


def _published(store: ArtifactStore, kind: str) -> list:
    return sorted(store.root.glob(f"{kind}/*/manifest.json"))


def test_a_diverged_sft_stage_is_refused_unpublished_and_rebuilds_once_fixed(tiny_model_dir, tmp_path):
    store = ArtifactStore(tmp_path / "store")
    diverge = [Diverge()]

    def build(workdir):
        return run_sft(tiny_model_dir, ROWS, SFT, workdir, 0, "float32", "SFT docs finance", callbacks=tuple(diverge))

    with pytest.raises(NonFiniteModel) as error:
        Runner(store, set()).stage("sft_target", {"target": "finance"}, build)
    message = str(error.value)
    assert isinstance(error.value, ValueError) and "\n" not in message  # the CLI prints it as `toolpast: error:`
    assert message == ("SFT docs finance: tensor 'model.embed_tokens.weight' holds inf or nan; training diverged, "
                       "most likely from a learning rate (0.001) too high: lower it (nothing was saved)")
    assert _published(store, "sft_target") == []
    (partial,) = (store.root / "sft_target").glob("*.partial")
    assert not (partial / "model").exists() and not list(partial.glob("checkpoints/checkpoint-*"))

    diverge.clear()  # the cause is gone: the same stage (same key) trains afresh instead of resuming the nan
    built = Runner(store, set()).stage("sft_target", {"target": "finance"}, build)
    assert _published(store, "sft_target") == [built.path / "manifest.json"]
    load_model(built.path / "model")  # finite: loads


def test_a_diverged_grpo_stage_is_refused_unpublished(tiny_model_dir, tmp_path):
    tasks = toolenv.get_category("finance").tasks("train", n=1)
    cfg = RLConfig(steps=1, prompts_per_step=1, num_generations=2, max_turns=1, max_new_tokens=8, train_tasks=1,
                   save_every=1, learning_rate=1e-2)
    with pytest.raises(NonFiniteModel, match=r"^GRPO finance: tensor 'model.embed_tokens.weight' holds inf or nan; "
                                             r"training diverged, most likely from a learning rate \(0.01\) too high"):
        run_rl(tiny_model_dir, tasks, cfg, tmp_path, 0, "float32", "GRPO finance", callbacks=(Diverge(),))
    assert not (tmp_path / "model").exists() and not list(tmp_path.glob("checkpoints/checkpoint-*"))


def test_an_overflowing_injection_stage_names_the_stage_and_lambda_and_rebuilds_once_fixed(tiny_model_dir, tmp_path):
    from toolpast.stages.skill_stages import inject_stage, vector_stage

    store = ArtifactStore(tmp_path / "store")
    runner = Runner(store, set())

    def shifted(workdir, by: float) -> None:
        """A stand-in for a trained model: the tiny model with `by` added to every weight."""
        model = load_model(tiny_model_dir)
        with torch.no_grad():
            for param in model.parameters():
                param.add_(by)
        model.save_pretrained(workdir / "model")

    sft = runner.stage("sft_source", {"shift": 0}, lambda w: shifted(w, 0.0))
    rl = runner.stage("rl", {"shift": 4}, lambda w: shifted(w, 4.0))
    vector = vector_stage(runner, "vector", rl, sft, min_kept=0.5)  # v = 4 everywhere: lambda 1e38 * v overflows
    with pytest.raises(NonFiniteModel, match=r"^stage inject:0.5: tensor '[\w.]+' holds inf or nan; lambda \* v is not "
                                             r"finite in float32 \(lambda 1e\+38\); nothing was published$"):
        inject_stage(runner, "inject:0.5", Model.of(sft), vector, 1e38, min_kept=0.5)
    assert _published(store, "inject") == [] and not list((store.root / "inject").glob("*/model"))
    injected = inject_stage(runner, "inject:0.5", Model.of(sft), vector, 0.5, min_kept=0.5)
    assert _published(store, "inject") == [injected.path / "manifest.json"]
    load_model(injected.path / "model")
