"""Episodes: one attempt at one task, from prompt to grade.

``step`` is the hot path (parse -> validate -> execute -> render) and works on plain
tuples; pydantic records (``Trajectory``, ``Grade``) are built only when asked for. Every
failure mode (oversized text, unparsable action, unknown API, bad arguments, unknown id)
becomes an error observation; nothing raises out of ``step``. Each episode runs on its
own copy-on-write world state, so mutations never leak between episodes. Whatever its suite,
a task runs on its suite's ``TaskBackend`` (``toolenv.suite``): the functions, a fresh state,
the open-book docs and the grader.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from toolenv.functions import closest
from toolenv.grading import Grade
from toolenv.ops import ApiError
from toolenv.params import ArgError
from toolenv.parsing import parse_action
from toolenv.prompts import system_prompt
from toolenv.records import Book, EpisodeLimits, Observation, StepStatus, Task, ToolCall, Trajectory, TrajectoryStep
from toolenv.suites import task_backend

__all__ = ["Episode"]

_FINISH_FORMAT = ('Finish needs {"return_type": "give_answer", "final_answer": "<answer>"} '
                  'or {"return_type": "give_up_and_restart"}.')
_dumps = json.dumps


def _error(message: str) -> str:
    return _dumps({"error": message, "response": ""})


class Episode:
    """reset() -> messages; step(text) -> Observation until done; then grade()."""

    def __init__(self, task: Task, book: Book = "closed", limits: EpisodeLimits | None = None) -> None:
        if book not in ("closed", "open"):
            raise ValueError(f"book must be 'closed' or 'open', got {book!r}")
        self.task = task
        self.book: Book = book
        self.limits = limits or EpisodeLimits()
        self._backend = task_backend(task)
        self._functions = self._backend.functions
        self._max_steps = self.limits.max_steps
        self._max_chars = self.limits.max_action_chars
        self._max_obs = self.limits.max_observation_chars
        self._begin()

    def _begin(self) -> None:
        self.state: Any = self._backend.state()
        self._steps: list[tuple[str, str | None, object, str, bool, StepStatus]] = []
        self._answer: str | None = None
        self._gave_up = False
        self.done = False

    def reset(self) -> list[dict[str, str]]:
        """Start over on a fresh world; returns the [system, user] prompt messages."""
        self._begin()
        return self.prompt()

    def prompt(self) -> list[dict[str, str]]:
        docs = self._backend.docs() if self.book == "open" else ""
        return [{"role": "system", "content": system_prompt(self.book, docs)},
                {"role": "user", "content": self.task.query}]

    def step(self, text: str) -> Observation:
        """Apply one model turn (ReAct text or a JSON tool call)."""
        if self.done:
            return Observation(_error("The episode is over."), True, True)
        if type(text) is not str:
            text = "" if text is None else str(text)
        if len(text) > self._max_chars:
            msg = f"Action too long: {len(text)} characters (limit {self._max_chars}). Send one short action."
            return self._record(text, None, None, _error(msg), "too_long")
        action = parse_action(text)
        if action.error is not None:
            return self._record(text, action.name or None, None, _error(action.error), "parse_error")
        return self._execute(text, action.name, action.arguments)

    def call(self, name: str, arguments: object) -> Observation:
        """Apply an already-structured call (native tool calling); recorded as a JSON tool call."""
        if self.done:
            return Observation(_error("The episode is over."), True, True)
        if isinstance(arguments, str):
            return self.step(_dumps({"name": name, "arguments": arguments}))
        try:
            text = _dumps({"name": name, "arguments": arguments})
        except (TypeError, ValueError):
            text = repr({"name": name, "arguments": arguments})
        return self._execute(text, str(name), arguments)

    def _execute(self, text: str, name: str, arguments: object) -> Observation:
        fn = self._functions.get(name)
        if fn is None:
            if name.lower() == "finish":
                return self._finish(text, name, arguments)
            hint = ", ".join(closest(name, list(self._functions)))
            return self._record(text, name, arguments, _error(f"Unknown function '{name[:80]}'. Closest valid "
                                                             f"functions: {hint}."), "invalid_call")
        try:
            result = fn.run(self.state, fn.bind(arguments))
        except ArgError as e:
            return self._record(text, name, arguments, _error(f"Invalid call to {name}: {e}."), "invalid_call")
        except ApiError as e:
            return self._record(text, name, arguments, _error(str(e)), "api_error")
        except Exception as e:  # a simulator bug must not kill an RL rollout; tests assert it never happens
            warnings.warn(f"toolenv internal error in {name}: {e!r}", RuntimeWarning, stacklevel=2)
            return self._record(text, name, arguments, _error(f"Internal simulator error in {name}."), "api_error")
        obs = _dumps({"error": "", "response": result})
        if len(obs) > self._max_obs:
            obs = obs[: self._max_obs] + "...(truncated)"
        return self._record(text, name, arguments, obs, "ok")

    def _finish(self, text: str, name: str, arguments: object) -> Observation:
        if type(arguments) is dict:
            kind = arguments.get("return_type", "give_answer" if "final_answer" in arguments else None)
            answer = arguments.get("final_answer")
            if kind == "give_up_and_restart":
                self._gave_up = self.done = True
                return self._record(text, name, arguments, _dumps({"error": "", "response": "Gave up."}), "give_up")
            if kind == "give_answer" and type(answer) in (str, int, float):
                self._answer = str(answer)
                self.done = True
                return self._record(text, name, arguments, _dumps({"error": "", "response": "Answer received."}),
                                    "finish")
        return self._record(text, name, arguments, _error(_FINISH_FORMAT), "invalid_call")

    def _record(self, text: str, name: str | None, arguments: object, obs: str, status: StepStatus) -> Observation:
        error = status not in ("ok", "finish", "give_up")
        self._steps.append((text, name, arguments, obs, error, status))
        if not self.done and len(self._steps) >= self._max_steps:
            self.done = True
        return Observation(obs, self.done, error)

    @property
    def messages(self) -> list[dict[str, str]]:
        """The conversation so far: prompt, model turns verbatim, observations as user turns."""
        out = self.prompt()
        for text, _, _, obs, _, status in self._steps:
            out.append({"role": "assistant", "content": text})
            if status not in ("finish", "give_up"):
                out.append({"role": "user", "content": "Observation: " + obs})
        return out

    @property
    def trajectory(self) -> Trajectory:
        steps = [
            TrajectoryStep(action=text, observation=obs, error=err, status=status,
                           call=ToolCall(name=name, arguments=args) if name and type(args) is dict else None)
            for text, name, args, obs, err, status in self._steps
        ]
        return Trajectory(task_id=self.task.id, category=self.task.category, split=self.task.split,
                          book=self.book, steps=steps, final_answer=self._answer,
                          finished=self._answer is not None, gave_up=self._gave_up, done=self.done)

    def gold_state(self) -> Any:
        """The state after the gold path, on a fresh copy (``TypeError`` for suites without a world)."""
        return self._backend.gold_state()

    def grade(self) -> Grade:
        """Score the episode (valid at any time; final once done)."""
        return self._backend.grade(self.trajectory, self.state)
