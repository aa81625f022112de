"""`toolpast sweep`: the transfer table over several targets, on the smoke preset (plumbing, not the method)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from toolpast.leaderboard.schema import Leaderboard
from toolpast.leaderboard.transfer import ladder, render_markdown, transfer_table
from toolpast.tooluse.config import RunConfig
from toolpast.tooluse.sweep import native_targets, resolve_targets

TWO_STAGE = ["--set", "sft.data=docs+trajectories", "--set", "sft.trajectories.steps=2",
             "--set", "sft.trajectories.tasks_per_category=4"]


def _toolpast(args, home):
    env = {**os.environ, "TOOLPAST_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "toolpast", *args], env=env, capture_output=True, text=True,
                          timeout=900)


def test_all_targets_are_the_21_rl_unseen_native_categories():
    targets = resolve_targets("all", RunConfig())
    suite = json.loads((Path(__file__).resolve().parents[3] / "tasks" / "native.json").read_text())
    assert targets == native_targets() and len(targets) == 21
    assert not set(targets) & {*suite["roles"]["source"], *suite["roles"]["warmup"]}
    assert resolve_targets(" Finance, weather,finance ", RunConfig()) == ["finance", "weather"]
    with pytest.raises(ValueError):
        resolve_targets(" , ", RunConfig())


def test_a_bad_target_is_refused_before_any_stage_runs(tmp_path):
    done = _toolpast(["sweep", "--preset", "smoke", "--targets", "finance,atlantis", "--export",
                      str(tmp_path / "b.json")], tmp_path / "home")
    assert done.returncode == 2 and "atlantis" in done.stderr
    assert not (tmp_path / "home" / "artifacts").exists()


@pytest.mark.slow
def test_sweep_writes_table_ladder_and_page_then_resumes_from_cache(tmp_path):
    out = tmp_path / "sweep.json"
    args = ["sweep", "--preset", "smoke", "--targets", "finance,weather", "--variants", "base,sft,past",
            "--seeds", "0,1", "--export", str(out), *TWO_STAGE]
    first = _toolpast(args, tmp_path / "home")
    assert first.returncode == 0, first.stdout + first.stderr
    board = Leaderboard.model_validate_json(out.read_text())
    names = sorted((e.provenance.seeds["seed"], e.category, e.variant.name) for e in board.entries)
    per_seed = [("movies", "source_sft"), ("movies", "source_rl")] + [
        (c, v) for c in ("finance", "weather") for v in ("base", "sft", "past")]
    assert names == sorted((seed, *row) for seed in (0, 1) for row in per_seed)
    assert all(e.sft_data == "docs+trajectories" and e.split == "test" for e in board.entries)
    assert all(e.metrics.knowledge_n and e.metrics.knowledge_accuracy is not None for e in board.entries)
    table = transfer_table(board, split="test")
    assert out.with_suffix(".md").read_text() == render_markdown(table, ladder(board, table, split="test"))
    page = out.with_suffix(".html").read_text()
    assert 'id="transfer"' in page and 'data-category="weather"' in page
    assert table.average.seeds == [0, 1] and "Seeds 0, 1" in out.with_suffix(".md").read_text()
    # two-stage SFT per seed: one doc-pairs and one trajectories stage per category (movies, finance, weather)
    assert first.stderr.count("stage sft_target:trajectories built") == 4, first.stderr
    assert first.stderr.count("stage sft_source:trajectories built") == 2, first.stderr

    again = _toolpast(args, tmp_path / "home")
    assert again.returncode == 0, again.stderr
    assert " built in " not in again.stderr
    assert Leaderboard.model_validate_json(out.read_text()).entries == board.entries


def test_stabletoolbench_stays_docs_only(capsys):
    from toolpast.cli import build_parser
    from toolpast.tooluse.cli import _config
    from toolpast.tooluse.pipeline import check_config

    args = build_parser().parse_args(["run", "--category", "finance", "--suite", "stabletoolbench"])
    cfg = _config(args)
    assert cfg.sft.data == "docs" and cfg.warmup.enabled and "no training trajectories" in capsys.readouterr().err
    with pytest.raises(ValueError, match="test queries only"):
        check_config(cfg.model_copy(update={"sft": cfg.sft.model_copy(update={"data": "docs+trajectories"})}))


def test_shards_are_round_robin_over_seed_target_pairs_and_validated(capsys):
    from toolpast.cli import build_parser
    from toolpast.tooluse.shard import Shard, parse_shard

    units = [(seed, target) for seed in (0, 1) for target in ("a", "b", "c")]
    shares = [Shard(i, 4).take(units) for i in (1, 2, 3, 4)]
    assert shares[0] == [(0, "a"), (1, "b")] and shares[3] == [(1, "a")]
    assert sorted(u for share in shares for u in share) == sorted(units)  # each pair in exactly one shard
    assert parse_shard(" 2 / 3 ") == Shard(2, 3) and str(Shard(2, 3)) == "2/3"
    assert Shard(1, 2).export(Path("out/x.json")) == Path("out/x.shard-1-of-2.json")
    for bad, why in (("0/2", "1 <= i <= n"), ("3/2", "1 <= i <= n"), ("1/0", "1 <= i <= n"), ("junk", "i/n"),
                     ("1/2/3", "i/n"), ("-1/2", "i/n"), ("", "i/n")):
        with pytest.raises(ValueError, match=re.escape(why)):
            parse_shard(bad)
        with pytest.raises(SystemExit):
            build_parser().parse_args(["sweep", f"--shard={bad}"])
        err = capsys.readouterr().err
        assert "argument --shard: --shard" in err and why in err, err
    assert build_parser().parse_args(["sweep", "--shard", "2/2"]).shard == Shard(2, 2)


def test_a_shard_with_no_pairs_is_refused_before_any_stage_runs(tmp_path):
    from toolpast.tooluse.presets import get_preset
    from toolpast.tooluse.shard import Shard
    from toolpast.tooluse.sweep import run_sweep

    with pytest.raises(ValueError, match="only 2 .seed, target. pairs, so this shard gets none"):
        run_sweep(get_preset("smoke"), ["finance", "weather"], [0], tmp_path / "x.json", shard=Shard(3, 3))
    assert not (tmp_path / "x.json").exists()


@pytest.mark.parametrize("seeds, message", [
    ([0, 0], "--seeds names 0 more than once: give each seed once"),
    ([3, 1, 3, 1], "--seeds names 1, 3 more than once"),
    ([0, -5], r"seed -5 is out of range: seeds are integers in \[0, 2\*\*32\)"),
    ([2**32], "seed 4294967296 is out of range"),
    ([], "--seeds needs at least one seed"),
])
def test_repeated_or_out_of_range_seeds_are_refused_before_any_stage_runs(tmp_path, monkeypatch, seeds, message):
    """`--seeds 0,0` ran the seed twice and exported every entry twice; a seed numpy refuses failed with numpy's
    message once the model was built."""
    from toolpast.stages.runner import Runner
    from toolpast.tooluse.presets import get_preset
    from toolpast.tooluse.sweep import run_sweep

    monkeypatch.setattr(Runner, "stage", lambda *args: pytest.fail("no stage may run"))
    with pytest.raises(ValueError, match=message):
        run_sweep(get_preset("smoke"), ["finance"], seeds, tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()


@pytest.mark.slow  # two real sweeps side by side, then the unsharded one: ~35 s on 2 busy cores
def test_two_concurrent_shards_in_one_home_build_each_stage_once_and_merge_to_the_unsharded_sweep(tmp_path,
                                                                                                 monkeypatch):
    from toolpast.cli import main

    home, out = tmp_path / "home", tmp_path / "out"
    env = {**os.environ, "TOOLPAST_HOME": str(home), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    args = ["sweep", "--preset", "smoke", "--targets", "finance,weather"]
    shards = [subprocess.Popen([sys.executable, "-m", "toolpast", *args, "--export", str(out / "s.json"), "--shard",
                                f"{i}/2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for i in (1, 2)]
    logs = [shard.communicate(timeout=600) for shard in shards]
    assert [shard.returncode for shard in shards] == [0, 0], logs
    built = [line.split()[-1] for _, err in logs for line in err.splitlines() if re.match(r"stage \S+ +built ", line)]
    artifacts = [str(p.parent) for p in (home / "artifacts").glob("*/*/manifest.json")]
    assert sorted(built) == sorted(artifacts) and len(set(built)) == len(built)  # every stage built exactly once
    assert not list((home / "artifacts").glob("*/*.lock")) and not list((home / "artifacts").glob("*/*.partial"))

    monkeypatch.setenv("TOOLPAST_HOME", str(home))
    assert main([*args, "--export", str(out / "u.json")]) == 0  # the unsharded sweep, here: same keys, all reused
    assert sorted(str(p.parent) for p in (home / "artifacts").glob("*/*/manifest.json")) == sorted(artifacts)
    parts = [str(out / f"s.shard-{i}-of-2.json") for i in (1, 2)]
    assert main(["leaderboard", "merge", *parts, "--out", str(out / "m.json")]) == 0
    assert main(["leaderboard", "table", str(out / "m.json"), "--out", str(out / "m.md")]) == 0
    assert main(["leaderboard", "html", str(out / "m.json"), "--out", str(out / "m.html")]) == 0

    def entries(path):  # the shards' command lines differ (--shard); everything else must not
        board = Leaderboard.model_validate_json(path.read_text())
        return sorted(e.model_copy(update={"provenance": e.provenance.model_copy(update={"command": ""})})
                      .model_dump_json() for e in board.entries)

    assert entries(out / "m.json") == entries(out / "u.json") and len(entries(out / "u.json")) == 6
    assert (out / "m.md").read_text() == (out / "u.md").read_text()
    assert 'data-category="weather"' in (out / "m.html").read_text()


@pytest.mark.slow
def test_a_chosen_rl_policy_is_recorded_on_the_source_rl_and_past_rows(tmp_path):
    """rl.select_every through the whole sweep: the rl stage records its choice, and every row built from that
    policy (source RL, PaST's vector) names its step."""
    out = tmp_path / "sweep.json"
    done = _toolpast(["sweep", "--preset", "smoke", "--targets", "finance", "--variants", "sft,past", "--export",
                      str(out), "--set", "rl.select_every=1", "--set", "rl.select_tasks=2"], tmp_path / "home")
    assert done.returncode == 0, done.stdout + done.stderr
    (manifest,) = (tmp_path / "home" / "artifacts" / "rl").glob("*/manifest.json")
    selection = json.loads(manifest.read_text())["outputs"]["selection"]
    assert selection["steps"] == [1, 2, 3] and selection["tasks"] == 2
    board = Leaderboard.model_validate_json(out.read_text())
    steps = {e.variant.name: e.variant.rl_step for e in board.entries}
    assert steps == {"source_sft": None, "source_rl": selection["chosen_step"], "sft": None,
                     "past": selection["chosen_step"]}
    assert f"the policy of step {selection['chosen_step']}" in out.with_suffix(".md").read_text()
