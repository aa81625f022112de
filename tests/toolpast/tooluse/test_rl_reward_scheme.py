"""EpisodeRollout's reward schemes on scripted turns (tiny model's tokenizer, no GPU, no trainer): the prototype
scheme hands TRL the summed prototype reward and logs the turn rewards; the shaped default is unchanged."""

import json
from contextlib import nullcontext
from types import SimpleNamespace

import pytest

import toolenv
from toolpast.models import load_tokenizer
from toolpast.tooluse.config import RLConfig
from toolpast.tooluse.rl import EpisodeRollout

TASKS = toolenv.get_category("finance").tasks("train", n=3)  # three read-only single-call lookups
GIVE_UP = 'Thought: I cannot.\nAction: Finish\nAction Input: {"return_type": "give_up_and_restart"}'
SCRIPTS = {  # task -> its model turns
    TASKS[0].id: toolenv.oracle_actions(TASKS[0]),
    TASKS[1].id: ["no idea", 'Thought: t\nAction: no_such_api\nAction Input: {"a": 1}', "still no idea"],
    TASKS[2].id: [toolenv.oracle_actions(TASKS[2])[0], GIVE_UP],
}
PROTOTYPE = {TASKS[0].id: [0.1, 0.2 + 1.0], TASKS[1].id: [-0.2, -0.1, -0.5], TASKS[2].id: [0.1, -0.5]}


class ScriptedGenerator:
    """Replies to each prompt with its task's next scripted turn, as token ids ending at the stop token."""

    def __init__(self, tokenizer, rollout: EpisodeRollout):
        self.tokenizer = tokenizer
        self.scripts = {tuple(rollout.chat.prompt_ids(row["prompt"])): list(SCRIPTS[row["task_id"]])
                        for row in rollout.rows}

    def generate(self, sequences: list[list[int]], max_new_tokens: int) -> list[list[int]]:
        out = []
        for seq in sequences:
            script = next(s for prompt, s in self.scripts.items() if tuple(seq[: len(prompt)]) == prompt)
            out.append(self.tokenizer.encode(script.pop(0), add_special_tokens=False) + [self.tokenizer.eos_token_id])
        return out


def _rollout(tiny_model_dir, tmp_path, **cfg):
    tokenizer = load_tokenizer(tiny_model_dir)
    rollout = EpisodeRollout(TASKS, tokenizer, RLConfig(max_turns=3, **cfg), log_path=tmp_path / "rollouts.jsonl")
    generator = ScriptedGenerator(tokenizer, rollout)
    rollout._generator = lambda trainer: nullcontext(generator)
    out = rollout([row["prompt"] for row in rollout.rows], SimpleNamespace(state=SimpleNamespace(global_step=0)))
    rows = [json.loads(line) for line in (tmp_path / "rollouts.jsonl").read_text().splitlines()]
    return out, rows


def _replay(task_id: str, turns: list[str]):
    ep = toolenv.Episode(next(t for t in TASKS if t.id == task_id), book="closed",
                         limits=toolenv.EpisodeLimits(max_steps=3))
    ep.reset()
    for turn in turns:
        ep.step(turn)
    return ep.trajectory, ep.grade()


def test_prototype_scheme_returns_the_summed_prototype_reward_and_logs_turn_rewards(tiny_model_dir, tmp_path):
    out, rows = _rollout(tiny_model_dir, tmp_path, reward_scheme="prototype")
    assert [row["task_id"] for row in rows] == [t.id for t in TASKS]
    for row, reward, success in zip(rows, out["env_reward"], out["env_success"]):
        trajectory, grade = _replay(row["task_id"], row["turns"])
        assert row["turns"] == SCRIPTS[row["task_id"]]
        assert row["turn_rewards"] == toolenv.prototype_turn_rewards(trajectory, grade) == PROTOTYPE[row["task_id"]]
        assert reward == row["reward"] == toolenv.prototype_reward(trajectory, grade)
        assert reward == pytest.approx(sum(PROTOTYPE[row["task_id"]]))
        assert success == float(grade.success)
    assert out["env_success"] == [1.0, 0.0, 0.0]


def test_shaped_scheme_is_the_default_and_unchanged(tiny_model_dir, tmp_path):
    out, rows = _rollout(tiny_model_dir, tmp_path)
    weights = RLConfig().reward
    for row, reward in zip(rows, out["env_reward"]):
        _, grade = _replay(row["task_id"], row["turns"])
        assert reward == row["reward"] == grade.reward(weights)
        assert "turn_rewards" not in row
    assert out["env_reward"][0] == 1.0
