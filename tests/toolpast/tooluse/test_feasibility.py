"""Rung 0: the oracle replayed under a budget agrees with the real rollout loop, and infeasible budgets are refused."""

from __future__ import annotations

import pytest

import toolenv
from toolenv.oracle import oracle_actions
from toolpast.models import load_tokenizer
from toolpast.overrides import apply_overrides
from toolpast.rollout.chat_tokens import ChatTokens
from toolpast.rollout.episodes import run_episodes
from toolpast.tooluse.feasibility import (
    Budget,
    InfeasibleBudget,
    enforce,
    group_feasibility,
    refuse_infeasible,
    replay,
    run_groups,
)
from toolpast.tooluse.presets import get_preset


@pytest.fixture(scope="module")
def chat(tiny_model_dir) -> ChatTokens:
    return ChatTokens(load_tokenizer(tiny_model_dir))


def _tasks() -> list:
    """Tasks of every shape: 1 to 4 calls, long and short answers, from three categories."""
    return [t for slug in ("finance", "movies", "weather")
            for t in toolenv.get_category(slug, seed=0).tasks("test", 12)]


class OracleGenerator:
    """A TokenGenerator that emits each task's oracle actions, token by token, as a model would: it recognises its
    episode by the prompt the sequence starts with and stops where a model under the budget must. Past its last
    action (a cut Finish left the episode open) it emits only the stop token."""

    def __init__(self, chat: ChatTokens, tasks: list):
        self.eos = chat.eos_id
        self.scripts = {tuple(chat.prompt_ids(toolenv.Episode(t).reset())):
                        [chat.tokenizer.encode(a, add_special_tokens=False) for a in oracle_actions(t)] for t in tasks}
        self.turn = dict.fromkeys(self.scripts, 0)

    def generate(self, sequences: list[list[int]], max_new_tokens: int) -> list[list[int]]:
        out = []
        for sequence in sequences:
            key = next(k for k in self.scripts if tuple(sequence[:len(k)]) == k)
            script, turn = self.scripts[key], self.turn[key]
            ids = script[turn] if turn < len(script) else []  # the oracle has nothing left to say (a cut Finish)
            self.turn[key] += 1
            out.append(ids + [self.eos] if len(ids) < max_new_tokens else ids[:max_new_tokens])
        return out


@pytest.mark.parametrize("turns,tokens", [(6, 400), (2, 400), (4, 60), (6, 30)])
def test_replay_matches_the_rollout_loop(chat, turns, tokens):
    """What replay() predicts is what run_episodes gives a model that emits the oracle: same success per task."""
    tasks = _tasks()
    budget = Budget(turns, tokens)
    limits = toolenv.EpisodeLimits(max_steps=turns)
    records = run_episodes([toolenv.Episode(t, limits=limits) for t in tasks], OracleGenerator(chat, tasks), chat,
                           turns, tokens)
    predicted = [replay(t, budget, chat).solved for t in tasks]
    actual = [r.episode.grade().success for r in records]
    assert predicted == actual
    if (turns, tokens) == (6, 400):
        assert all(actual)  # the oracle solves every task given room
    else:
        assert not all(actual)  # each tight budget cuts some task off: the check has something to see


def test_reasons_name_the_limit(chat):
    tasks = _tasks()
    needs = [replay(t, Budget(99, 999), chat) for t in tasks]
    multi = next(t for t, f in zip(tasks, needs) if f.steps >= 3)
    fit = replay(multi, Budget(2, 999), chat)
    assert not fit.feasible and f"needs {fit.steps} turns" in fit.reasons
    longest = max(needs, key=lambda f: f.longest_action_tokens)
    task = next(t for t in tasks if t.id == longest.task_id)
    cut = replay(task, Budget(99, 8), chat)
    assert not cut.feasible and f"a turn of {longest.longest_action_tokens} tokens" in cut.reasons
    tight = replay(task, Budget(99, 999, max_context=longest.peak_context_tokens - 1), chat)
    assert not tight.feasible and not tight.fits_context
    assert replay(task, Budget(99, 999, max_context=longest.peak_context_tokens), chat).feasible


def test_refusal_gives_the_budget_that_fits_and_the_override(chat):
    tasks = _tasks()
    group = group_feasibility("mixed test[:36]", tasks, Budget(2, 30), chat)
    need = group_feasibility("mixed test[:36]", tasks, Budget(99, 999), chat)
    assert group.feasible < group.tasks == 36 and need.feasible == 36
    with pytest.raises(InfeasibleBudget) as refused:
        refuse_infeasible([group])
    message = str(refused.value)
    assert f"--set eval.max_turns={need.needs_turns} --set eval.max_new_tokens={need.needs_new_tokens}" in message
    assert "--allow-infeasible" in message
    feasible = group_feasibility("mixed", tasks, Budget(need.needs_turns, need.needs_new_tokens), chat)
    assert feasible.feasible == feasible.tasks
    refuse_infeasible([feasible])  # nothing to refuse


def test_run_groups_cover_what_a_run_reports_and_trains_on(chat):
    cfg = apply_overrides(get_preset("cpu"), ["eval.tasks=5", "rl.train_tasks=6", "rl.select_every=4",
                                              "rl.select_tasks=3"])
    groups = run_groups(cfg, chat, None, targets=["finance", "weather"])
    names = [g.name for g in groups]
    assert names == ["finance test[:5]", "finance test[:5] open book", "weather test[:5]",
                     "weather test[:5] open book", "movies test[:5]", "RL movies train", "RL choice movies train"]
    assert [g.tasks for g in groups] == [5, 5, 5, 5, 5, 6, 3]
    assert {g.setting for g in groups if g.name.startswith("RL movies")} == {"rl"}
    assert [g.name for g in run_groups(cfg, chat, None)] == ["finance test[:5]", "finance test[:5] open book",
                                                             "RL movies train", "RL choice movies train"]
    assert [g.name for g in run_groups(cfg, chat, None, rl=False)] == ["finance test[:5]",
                                                                        "finance test[:5] open book"]


def test_allow_infeasible_warns_instead_of_refusing(chat):
    cfg = apply_overrides(get_preset("cpu"), ["eval.max_turns=1", "eval.tasks=4"])
    groups = run_groups(cfg, chat, None, rl=False)
    with pytest.raises(InfeasibleBudget):
        enforce(cfg, groups, say=lambda line: None)
    said = []
    allowed = apply_overrides(cfg, ["allow_infeasible=true"])
    assert enforce(allowed, groups, say=said.append) == groups
    assert any("warning" in line and "infeasible" in line for line in said)


def test_the_allow_infeasible_flag_reaches_the_config():
    from toolpast.cli import build_parser
    from toolpast.tooluse.cli import _config

    args = build_parser().parse_args(["eval", "--category", "finance", "--model", "m", "--out", "o",
                                      "--allow-infeasible"])
    assert _config(args).allow_infeasible is True
    args = build_parser().parse_args(["eval", "--category", "finance", "--model", "m", "--out", "o"])
    assert _config(args).allow_infeasible is False
