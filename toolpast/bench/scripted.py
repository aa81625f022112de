"""Scripted generators for the CI gate: the oracle and perturbed oracles, run through the real harness.

The untrained default model sits at the floor of every rate, so on its own the gate cannot see a grader that
starts passing everything or a parser that loses arguments. These generators have known outcomes instead: the
oracle solves every task, and each perturbation (a wrong API name, a missing argument, a malformed Action Input,
no Finish, a wrong answer) fails in a known way, so a change anywhere on the path moves their exact numbers in
either direction. They implement the same `TokenGenerator` interface as the hf/vLLM backends and are driven by
`toolpast.rollout.episodes.run_episodes`, so every turn really goes through the chat template (prompt ids), the
tokenizer (the turn's ids are decoded back to text), toolenv's parser, the simulator and the grader; the
generator finds its task by reading the task's query out of the rendered prompt, not by being told.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

import toolenv
from toolenv.category import functions_of, resolve_slug

WRONG_ANSWER = "I could not find the requested values."

# Per-row fields compared exactly: the rates evaluation reports, the counts behind them, and digests that pin
# what the rates summarise (every observation, every grade, everything the generator was shown).
RATES = ("success_rate", "error_observation_rate", "finished_rate", "valid_call_rate", "format_rate", "api_recall",
         "fact_recall")
HIGHER_IS_BETTER = ("success_rate", "finished_rate", "valid_call_rate", "format_rate", "api_recall", "fact_recall")
COUNTS = ("n", "successes", "steps", "error_observations", "world_correct")
DIGESTS = ("observations", "grades", "transcript")


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def _react(thought: str, name: str, arguments_text: str) -> str:
    return f"Thought: {thought}\nAction: {name}\nAction Input: {arguments_text}"


def _finish(answer: str) -> str:
    return _react("I have all the information I need.", "Finish",
                  json.dumps({"return_type": "give_answer", "final_answer": answer}))


def _calls(task, name: Callable[[str], str] = lambda n: n, arguments=lambda fn, args: json.dumps(args)) -> list[str]:
    """The gold calls as ReAct turns, with the name and the Action Input text rewritten as asked."""
    fns = functions_of(resolve_slug(task.category))
    return [_react(fns[c.name].thought(c.arguments), name(c.name), arguments(fns[c.name], c.arguments))
            for c in task.gold_calls]


def _missing_args(task) -> list[str]:
    """The first gold call without its first required argument (a validator error); the rest as the oracle's."""
    turns = _calls(task)
    call = task.gold_calls[0]
    fn = functions_of(resolve_slug(task.category))[call.name]
    required = [p.name for p in fn.params if p.required and p.name in call.arguments]
    args = {k: v for k, v in call.arguments.items() if not required or k != required[0]}
    turns[0] = _react(fn.thought(call.arguments), call.name, json.dumps(args))
    return turns + [_finish(task.gold_answer)]


def _malformed(fn, args: dict) -> str:
    """key=value pairs in an unclosed brace: not JSON, and nothing the lenient parser may repair."""
    return "{" + ", ".join(f"{k}={v}" for k, v in args.items())


def _json_tool_calls(task) -> list[str]:
    calls = [json.dumps({"name": c.name, "arguments": c.arguments}) for c in task.gold_calls]
    finish = {"return_type": "give_answer", "final_answer": task.gold_answer}
    return calls + [json.dumps({"name": "Finish", "arguments": finish})]


# name -> (what it checks, turns for a task). Each is deterministic; the oracle must stay at success 1.0.
SCRIPTS: dict[str, tuple[str, Callable]] = {
    "oracle": ("the gold path as ReAct text: solves every task", toolenv.oracle_actions),
    "oracle_json": ("the gold path as JSON tool calls: the parser's other format", _json_tool_calls),
    "wrong_api": ("every gold API name with a '_v2' suffix, then the gold answer: unknown-function errors; "
                  "only read-only tasks succeed (the world check fails mutating ones)",
                  lambda t: _calls(t, name=lambda n: n + "_v2") + [_finish(t.gold_answer)]),
    "missing_args": ("the first gold call without its first required argument, the other calls and the gold "
                     "answer as the oracle's: one validator error per task", _missing_args),
    "malformed_input": ("each Action Input as unclosed key=value text, then the gold answer: parse errors",
                        lambda t: _calls(t, arguments=_malformed) + [_finish(t.gold_answer)]),
    "no_finish": ("the gold calls and no Finish: nothing is finished or solved", lambda t: _calls(t)),
    "wrong_answer": ("the gold calls, then a Finish that states none of the facts",
                     lambda t: _calls(t) + [_finish(WRONG_ANSWER)]),
}


class ScriptedConfig(BaseModel):
    """The scripted half of the gate. Changing any field needs a new baseline (`--update`)."""

    model_config = ConfigDict(extra="forbid")
    generators: list[str] = Field(default_factory=lambda: list(SCRIPTS),
                                  description=f"Scripted generators run (of: {', '.join(SCRIPTS)}).")
    categories: list[str] = Field(default_factory=lambda: ["finance", "cryptography", "music"],
                                  description="Native categories whose first test tasks are run.")
    tasks: int = Field(4, ge=1, description="Test tasks per category.")
    books: list[str] = Field(default_factory=lambda: ["closed", "open"], description="Prompt settings run.")
    max_new_tokens: int = Field(512, ge=8, description="Token budget of one scripted turn (a longer turn is cut "
                                                       "off, as a model's would be).")
    world_seed: int = Field(0, description="Seed of the native worlds.")

    def model_post_init(self, _context) -> None:
        unknown = [g for g in self.generators if g not in SCRIPTS]
        if unknown:
            raise ValueError(f"unknown scripted generator(s) {unknown}; known: {', '.join(SCRIPTS)}")


class ScriptedGenerator:
    """A `TokenGenerator` that writes each episode's next scripted turn.

    It decodes every sequence it is given, finds the one task whose query the rendered conversation contains,
    and returns the ids of that task's next turn plus the stop token. A sequence it cannot place (a prompt that
    lost its query) or a script that has run out gets an empty turn, as from a model that says nothing. What it
    was shown is kept in `seen` (the texts a model would have read).
    """

    def __init__(self, tokenizer, scripts: dict[str, list[str]]):
        self.tokenizer, self.scripts = tokenizer, scripts
        self.eos_id = tokenizer.eos_token_id
        self._turn = dict.fromkeys(scripts, 0)
        self.seen: list[str] = []

    def _task_of(self, text: str) -> str | None:
        found = [query for query in self.scripts if query in text]
        return max(found, key=len) if found else None  # a query that contains another is the more specific

    def generate(self, sequences: list[list[int]], max_new_tokens: int) -> list[list[int]]:
        out = []
        for ids in sequences:
            text = self.tokenizer.decode(ids, skip_special_tokens=False)
            self.seen.append(text)
            query = self._task_of(text)
            turn = ""
            if query is not None and self._turn[query] < len(self.scripts[query]):
                turn = self.scripts[query][self._turn[query]]
                self._turn[query] += 1
            new = self.tokenizer.encode(turn, add_special_tokens=False) + [self.eos_id]
            out.append(new[:max_new_tokens])
        return out


def run_script(name: str, tasks: list, book: str, tokenizer, max_new_tokens: int) -> dict:
    """One row: the episodes of `tasks` under script `name`, graded and summarised with evaluation's code."""
    from toolpast.rollout.chat_tokens import ChatTokens
    from toolpast.rollout.episodes import run_episodes
    from toolpast.tooluse.evaluate import summarise

    queries = [t.query for t in tasks]
    if len(set(queries)) != len(queries):
        raise ValueError(f"tasks with the same query cannot be told apart by a scripted generator: {queries}")
    scripts = {t.query: list(SCRIPTS[name][1](t)) for t in tasks}
    generator = ScriptedGenerator(tokenizer, scripts)
    # Each episode ends where its script does (a Finish, or its last step), so no turn is ever left over.
    episodes = [toolenv.Episode(t, book=book, limits=toolenv.EpisodeLimits(max_steps=len(scripts[t.query])))
                for t in tasks]
    records = run_episodes(episodes, generator, ChatTokens(tokenizer), max(map(len, scripts.values())),
                           max_new_tokens)
    rows = [{"task_id": r.episode.task.id, "sample": 0, "grade": r.episode.grade().model_dump(mode="json"),
             "trajectory": r.episode.trajectory.model_dump(mode="json"), "model_tokens": r.model_tokens}
            for r in records]
    summary = summarise(rows)
    grades = [row["grade"] for row in rows]
    return {
        **{k: summary[k] for k in ("success_rate", "error_observation_rate", "finished_rate", "valid_call_rate",
                                   "api_recall")},
        "format_rate": round(sum(g["format_rate"] for g in grades) / len(grades), 4),
        "fact_recall": round(sum(g["fact_recall"] for g in grades) / len(grades), 4),
        "n": summary["n"], "successes": summary["successes"],
        "steps": sum(g["n_steps"] for g in grades), "error_observations": sum(g["n_errors"] for g in grades),
        "world_correct": sum(g["world_correct"] is True for g in grades),
        "observations": _digest([[(s["status"], s["observation"]) for s in row["trajectory"]["steps"]]
                                 for row in rows]),
        "grades": _digest(grades),
        # the whole token stream of each episode (prompt, turns, spliced observations), as a model would see it
        "transcript": _digest([tokenizer.decode(r.prompt_ids + r.completion_ids, skip_special_tokens=False)
                               for r in records]),
    }


def measure_scripted(cfg: ScriptedConfig, tokenizer) -> dict[str, dict]:
    """Every (generator, category, book) row, keyed "generator/category/book", in a fixed order."""
    rows = {}
    for category in cfg.categories:
        tasks = toolenv.get_category(category, seed=cfg.world_seed).tasks("test", n=cfg.tasks)
        for book in cfg.books:
            for name in cfg.generators:
                rows[f"{name}/{category}/{book}"] = run_script(name, tasks, book, tokenizer, cfg.max_new_tokens)
    return rows
