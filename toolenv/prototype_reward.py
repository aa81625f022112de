"""The first author's ToolBench reward (github.com/Stanleytowne/Search-R1, a verl fork), rebuilt from toolenv state.

Their ``ToolBenchRewardManager`` (``search_r1/llm_agent/toolbench_reward.py`` at commit 20c3b366; later commits
reweigh it) writes one reward at the last token of each model turn:

* every turn but the last: +0.1 a valid action whose API call returned no error, -0.1 a valid action whose call
  came back with an error (unknown API name, wrong number of arguments, or the API's own error), -0.2 an invalid
  action (no ``Thought/Action/Action Input`` could be parsed);
* the last turn: only +0.2 if the episode ended with a ``Finish`` carrying a final answer, else -0.5, plus the pass
  reward of an LLM judge over the whole trajectory (Solved 1, Partially Solved 0.5, Unsolved 0; a failed judge
  call scores 0). The last turn gets no per-turn term: their code overwrites it with finish + pass.

The verl they vendor sums a response's token rewards for GRPO into one score before normalising it within the group
(``scores = (token_level_rewards * non_zero_mask).sum(dim=-1)``), so only the sum reaches the policy; that sum is
``prototype_reward``. toolenv grades from state, so the judge never fails: ``pass_reward`` reads the ``Grade``.
"""

from __future__ import annotations

import math

from toolenv.grading import Grade
from toolenv.records import StepStatus, Trajectory

__all__ = ["FINISHED", "NOT_FINISHED", "TURN_REWARD", "pass_reward", "prototype_reward", "prototype_turn_rewards"]

# Their three cases. ok: valid action, call without error. api_error / invalid_call: a parsed action whose call came
# back with an error (their rollout checks the API name and argument count before calling and records a failed check
# as an error observation, as toolenv does; a malformed Finish is a parsed action too). parse_error / too_long: no
# action to execute. finish / give_up always end an episode, so only a last turn has them, and it is scored apart.
TURN_REWARD: dict[StepStatus, float] = {
    "ok": 0.1, "api_error": -0.1, "invalid_call": -0.1, "parse_error": -0.2, "too_long": -0.2,
    "finish": 0.1, "give_up": 0.1,
}
FINISHED, NOT_FINISHED = 0.2, -0.5


def pass_reward(grade: Grade) -> float:
    """The judge's score from state: 1 solved, 0.5 partially solved, else 0.

    Their judge calls it Partially Solved when "the model made progress and successfully called some tools, but the
    final answer is incomplete, only addresses part of the query, or contains minor inaccuracies", and Unsolved when
    the calls failed, the model gave up, or the answer is wrong or hallucinated. So here: a final answer
    (give_answer) that states some gold facts after at least one gold API was called without error; a right answer
    with a wrong final world (act tasks) is partial too. No answer, give_up or a fact-free answer is unsolved.
    """
    if grade.success:
        return 1.0
    if grade.finished and grade.fact_recall > 0 and grade.api_recall > 0:
        return 0.5
    return 0.0


def prototype_turn_rewards(trajectory: Trajectory, grade: Grade) -> list[float]:
    """One reward per model turn, as their manager places them; the last carries the finish term and pass reward.

    Finished means a give_answer Finish (``Trajectory.finished``), as in the generation code this reward pairs with,
    which sets ``finish_called`` only for a Finish with a final answer: a give_up scores -0.5. An episode without
    turns has nothing to credit and gets no rewards.
    """
    steps = trajectory.steps
    if not steps:
        return []
    rewards = [TURN_REWARD[s.status] for s in steps[:-1]]
    rewards.append((FINISHED if trajectory.finished else NOT_FINISHED) + pass_reward(grade))
    return rewards


def prototype_reward(trajectory: Trajectory, grade: Grade) -> float:
    """The sum of the turn rewards: the one score verl's GRPO (and TRL's) normalises within a group."""
    return math.fsum(prototype_turn_rewards(trajectory, grade))
