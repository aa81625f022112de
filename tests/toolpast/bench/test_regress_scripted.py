"""The scripted half of the CI gate: known outcomes through the real harness, and a gate that fails both ways.

Each "broken harness" test measures a baseline on the working code, breaks one piece (the grader, the parser,
prompt rendering) with monkeypatch, measures again and asserts which rows the comparison flags.
"""

import json
from pathlib import Path

import pytest

import toolenv
import toolenv.episode
from toolenv.category import functions_of, resolve_slug
from toolenv.parsing import Action
from toolpast.bench.regress import RegressConfig, compare_scripted, run_regress
from toolpast.bench.scripted import SCRIPTS, ScriptedConfig, ScriptedGenerator, measure_scripted, run_script
from toolpast.leaderboard.provenance import config_hash

REPO = Path(__file__).resolve().parents[3]
SMALL = ScriptedConfig(categories=["finance", "music"], tasks=3, books=["closed"])
ORACLES = ("oracle", "oracle_json")


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from toolpast.models import load_tokenizer

    return load_tokenizer(tiny_model_dir)


@pytest.fixture(scope="module")
def baseline(tokenizer):
    return measure_scripted(SMALL, tokenizer)


def _flagged(regressions: list[str], field: str) -> set[str]:
    """The rows whose `field` the comparison reports as changed."""
    return {line.split()[1] for line in regressions if line.split()[2] == field + ":"}


def test_scripted_generators_have_their_known_outcomes(baseline):
    for category in SMALL.categories:
        tasks = toolenv.get_category(category).tasks("test", n=SMALL.tasks)
        calls = sum(len(t.gold_calls) for t in tasks)
        read_only = sum(not t.mutates for t in tasks)
        fns = functions_of(resolve_slug(category))
        assert all(any(p.required for p in fns[t.gold_calls[0].name].params) for t in tasks)
        row = {name: baseline[f"{name}/{category}/closed"] for name in SCRIPTS}
        for name in ORACLES:
            assert (row[name]["success_rate"], row[name]["error_observations"], row[name]["valid_call_rate"],
                    row[name]["api_recall"], row[name]["steps"]) == (1.0, 0, 1.0, 1.0, calls + len(tasks))
        assert row["wrong_api"]["error_observations"] == calls and row["wrong_api"]["api_recall"] == 0.0
        assert row["wrong_api"]["successes"] == read_only  # the answer alone solves read-only tasks
        assert row["wrong_api"]["world_correct"] == 0
        assert row["missing_args"]["error_observations"] == len(tasks)  # one validator error per task
        assert row["malformed_input"]["error_observations"] == calls
        assert row["malformed_input"]["format_rate"] < row["wrong_api"]["format_rate"] == 1.0  # parse vs call error
        assert (row["no_finish"]["finished_rate"], row["no_finish"]["successes"], row["no_finish"]["steps"],
                row["no_finish"]["error_observations"]) == (0.0, 0, calls, 0)
        assert (row["wrong_answer"]["finished_rate"], row["wrong_answer"]["successes"],
                row["wrong_answer"]["fact_recall"]) == (1.0, 0, 0.0)
        # the same calls get the same observations, whatever their format or final answer
        assert len({row[name]["observations"] for name in ("oracle", "oracle_json", "wrong_answer")}) == 1
    assert len({r["transcript"] for r in baseline.values()}) == len(baseline)  # but each generator writes its own


def test_scripted_generator_reads_rendered_prompts(tokenizer):
    """The generator is fed the chat template's ids (not the task) and must find its task's query in them."""
    task = toolenv.get_category("finance").tasks("test", n=1)[0]
    generator = ScriptedGenerator(tokenizer, {task.query: ["Action: Finish"]})
    prompt = tokenizer.apply_chat_template(toolenv.Episode(task).reset(), tokenize=False, add_generation_prompt=True)
    [out] = generator.generate([tokenizer.encode(prompt, add_special_tokens=False)], 64)
    assert tokenizer.decode(out, skip_special_tokens=True) == "Action: Finish" and out[-1] == tokenizer.eos_token_id
    assert generator.seen == [prompt] and "<|im_start|>system" in prompt
    [out] = generator.generate([tokenizer.encode("no query here")], 64)
    assert out == [tokenizer.eos_token_id]  # an unplaceable prompt gets an empty turn


def test_scripted_rows_are_deterministic(tokenizer, baseline):
    overview, _, regressions = compare_scripted(baseline, measure_scripted(SMALL, tokenizer))
    assert regressions == [] and overview.row_count == len(SCRIPTS)


def test_a_grader_that_passes_everything_fails_the_gate(tokenizer, baseline, monkeypatch):
    grade = toolenv.episode.Episode.grade
    monkeypatch.setattr(toolenv.episode.Episode, "grade",
                        lambda self: grade(self).model_copy(update={"success": True}))
    _, diff, regressions = compare_scripted(baseline, measure_scripted(SMALL, tokenizer))
    failing = {key for key, row in baseline.items() if row["success_rate"] < 1}
    assert failing and not any(key.startswith(ORACLES) for key in failing)
    assert _flagged(regressions, "success_rate") == failing  # every perturbed row that failed, none of the oracles'
    assert "scripted no_finish/finance/closed success_rate: 0 -> 1" in regressions
    assert diff.row_count == len(regressions)


def test_a_parser_that_drops_arguments_fails_the_gate(tokenizer, baseline, monkeypatch):
    parse = toolenv.episode.parse_action

    def drop_arguments(text):
        action = parse(text)
        return action if action.error else Action(action.name, {})

    monkeypatch.setattr(toolenv.episode, "parse_action", drop_arguments)
    _, _, regressions = compare_scripted(baseline, measure_scripted(SMALL, tokenizer))
    oracle_rows = {key for key in baseline if key.startswith(ORACLES)}
    assert _flagged(regressions, "success_rate") >= oracle_rows  # the Finish lost its answer
    assert "scripted oracle/finance/closed success_rate: 1 -> 0" in regressions
    assert _flagged(regressions, "error_observations") == set(baseline)  # every row now errs differently


def test_prompts_that_lose_the_query_fail_the_gate(tokenizer, baseline, monkeypatch):
    prompt = toolenv.episode.Episode.prompt
    monkeypatch.setattr(toolenv.episode.Episode, "prompt",
                        lambda self: [prompt(self)[0], {"role": "user", "content": "Please help."}])
    _, _, regressions = compare_scripted(baseline, measure_scripted(SMALL, tokenizer))
    assert _flagged(regressions, "transcript") == set(baseline)
    assert {key for key in baseline if key.startswith(ORACLES)} <= _flagged(regressions, "success_rate")


def test_missing_or_new_rows_fail_the_gate(tokenizer, baseline):
    current = dict(baseline)
    del current["oracle/music/closed"]
    current["oracle/travel/closed"] = baseline["oracle/finance/closed"]
    _, _, regressions = compare_scripted(baseline, current)
    assert sorted(regressions) == ["scripted oracle/music/closed: not in this run",
                                   "scripted oracle/travel/closed: not in the baseline (run with --update)"]


def test_unknown_generator_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown scripted generator"):
        ScriptedConfig(generators=["oracle", "nope"])


def test_run_script_rejects_tasks_it_cannot_tell_apart(tokenizer):
    task = toolenv.get_category("finance").tasks("test", n=1)[0]
    with pytest.raises(ValueError, match="same query"):
        run_script("oracle", [task, task], "closed", tokenizer, 64)


def test_regress_command_fails_on_a_broken_grader(tmp_path, capsys, monkeypatch):
    cfg = RegressConfig(model="tiny-random", tasks=1, books=["closed"], max_turns=1, max_new_tokens=8,
                        scripted=ScriptedConfig(categories=["finance"], tasks=2, books=["closed"]))
    path = tmp_path / "baseline.json"
    assert run_regress(path, update=True, cfg=cfg) == 0
    sidecar = json.loads(path.with_suffix(".digests.json").read_text())
    assert set(sidecar["scripted"]) == {f"{name}/finance/closed" for name in SCRIPTS}
    capsys.readouterr()
    grade = toolenv.episode.Episode.grade
    monkeypatch.setattr(toolenv.episode.Episode, "grade",
                        lambda self: grade(self).model_copy(update={"success": True}))
    assert run_regress(path, cfg=cfg) == 1
    out = capsys.readouterr().out
    assert "REGRESSION scripted wrong_answer/finance/closed success_rate: 0 -> 1" in out
    assert "changes vs baseline" in out  # the diff table
    monkeypatch.undo()
    del sidecar["scripted"]  # a baseline from before the scripted generators
    path.with_suffix(".digests.json").write_text(json.dumps(sidecar))
    assert run_regress(path, cfg=cfg) == 2


def test_committed_baseline_matches_the_gate_config():
    """The committed baseline was regenerated for the current task sets; its oracles solve all, the unfinished
    and wrong answers nothing."""
    cfg = RegressConfig()
    board = json.loads((REPO / "leaderboards" / "ci-baseline.json").read_text())
    assert {e["provenance"]["config_hash"] for e in board["entries"]} == {config_hash(cfg)}
    scripted = json.loads((REPO / "leaderboards" / "ci-baseline.digests.json").read_text())["scripted"]
    s = cfg.scripted
    assert set(scripted) == {f"{g}/{c}/{b}" for g in s.generators for c in s.categories for b in s.books}
    assert all(row["success_rate"] == 1.0 for key, row in scripted.items() if key.startswith(ORACLES))
    unsolvable = ("no_finish", "wrong_answer")
    assert all(row["success_rate"] == 0.0 for key, row in scripted.items() if key.startswith(unsolvable))
