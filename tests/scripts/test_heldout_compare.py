"""scripts/heldout_compare.py: two models on a category's untrained train tasks, with the paired difference."""

import json

import toolenv
from toolpast.overrides import apply_overrides
from toolpast.tooluse.data import untrained_tasks
from toolpast.tooluse.presets import get_preset


def test_untrained_tasks_are_what_no_training_stage_draws():
    cfg = apply_overrides(get_preset("cpu"), [])
    size = toolenv.get_category("movies").sizes["train"]
    used = max(cfg.rl.train_tasks, cfg.sft.trajectories.tasks_per_category)
    assert len(untrained_tasks(cfg, "movies")) == size - used
    warm = apply_overrides(cfg, ["warmup.enabled=true", "warmup.tasks_per_category=100"])
    assert len(untrained_tasks(warm, "science")) == size - 100 and len(untrained_tasks(warm, "movies")) == size - 64


def test_a_source_drops_the_tasks_its_policy_was_chosen_on():
    """Under rl.select_every the chosen policy is the best on the selection tasks: they would favour RL at rung b."""
    no_choice = apply_overrides(get_preset("cpu"), [])
    cfg = apply_overrides(get_preset("cpu"), ["rl.select_every=8"])
    untrained, kept = untrained_tasks(no_choice, "movies"), untrained_tasks(cfg, "movies")
    assert len(untrained) == 136 and len(kept) == 116
    assert {t.id for t in untrained} - {t.id for t in kept} == {f"movies/train/{i:04d}" for i in range(160, 180)}
    assert untrained_tasks(cfg, "science") == untrained_tasks(no_choice, "science")  # a target: no choice


def test_compares_two_models_pairwise(load_script, tiny_model_dir, tmp_path, capsys):
    script = load_script("heldout_compare")
    out = tmp_path / "out"
    assert script.main(["--category", "finance", "--preset", "smoke", "--set", "rl.train_tasks=196", "--baseline",
                        f"A={tiny_model_dir}", "--candidate", f"B={tiny_model_dir}", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("4 untrained finance tasks (finance/train/0196 .. finance/train/0199)")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["difference"]["mean"] == 0 and summary["difference"]["n_tasks"] == 4  # one model, greedy
    assert summary["split"] == "untrained"
    assert summary["metrics"]["A"] == summary["metrics"]["B"] and summary["summary"] in text
    assert len((out / "A" / "episodes.jsonl").read_text().splitlines()) == 4
    assert script.main(["--average", str(out), str(out)]) == 0  # two "categories": the same comparison twice
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "finance (B - A): +0.0 points (4 tasks)"
    assert lines[-1].startswith("average over 2 categories: +0.0 points [+0.0, +0.0]") and "2 of 2 >= 0" in lines[-1]


def test_the_test_split_is_the_first_eval_tasks_of_it(load_script, tiny_model_dir, tmp_path, capsys):
    """--split test: the reported split, the first eval.tasks test tasks, never the untrained train tasks."""
    script = load_script("heldout_compare")
    out = tmp_path / "out"
    assert script.main(["--category", "finance", "--preset", "smoke", "--split", "test", "--set", "eval.tasks=3",
                        "--baseline", f"A={tiny_model_dir}", "--candidate", f"B={tiny_model_dir}",
                        "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("3 test finance tasks (finance/test/0000 .. finance/test/0002)")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["split"] == "test" and summary["tasks"] == [f"finance/test/{i:04d}" for i in range(3)]
