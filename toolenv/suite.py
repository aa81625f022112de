"""The suite interface: what every task suite (native worlds, StableToolBench) gives the rest of toolenv.

A ``Suite`` lists and opens categories; a category hands out tasks by split, its docs and its
closed-book corpus; a ``TaskBackend`` is what one task runs and is graded on (callable functions,
a fresh state, open-book docs, the grader, the oracle path). ``Episode`` and the oracle speak only
to these, so they have one path whatever the suite. Implementations: ``toolenv.native`` and
``toolenv.toolbench.suite``; ``toolenv.suites`` picks one by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from toolenv.docs import ApiDoc
from toolenv.grading import Grade
from toolenv.records import Split, Task, Trajectory

__all__ = ["SuiteFunction", "TaskBackend", "SuiteCategory", "Suite"]


class SuiteFunction(Protocol):
    """One callable API: validate arguments, answer on a state, say why it is called (oracle thoughts)."""

    def bind(self, arguments: object) -> dict[str, Any]: ...

    def run(self, state: Any, args: dict[str, Any]) -> Any: ...

    def thought(self, args: dict[str, Any]) -> str: ...


class TaskBackend(Protocol):
    """What an episode of one task runs on and is graded by."""

    functions: Mapping[str, SuiteFunction]

    def state(self) -> Any:
        """A fresh state for one episode (None where the suite's APIs keep none)."""
        ...

    def gold_state(self) -> Any:
        """The state after the gold path; ``TypeError`` where the suite has no world to compare."""
        ...

    def docs(self) -> str:
        """The open-book docs of the APIs the task may call."""
        ...

    def grade(self, trajectory: Trajectory, state: Any) -> Grade:
        """Score an episode from its trajectory and final state."""
        ...

    def oracle_actions(self) -> list[str]:
        """The gold path as ReAct actions, ending with the Finish."""
        ...


class SuiteCategory(Protocol):
    """One category of a suite at one seed."""

    slug: str
    name: str
    seed: int

    @property
    def api_docs(self) -> list[ApiDoc]: ...

    def tasks(self, split: Split, n: int | None = None) -> list[Task]: ...

    def knowledge_corpus(self) -> list[str]: ...

    def docs_text(self) -> str: ...


class Suite(Protocol):
    """A source of categories and tasks, and the backend each of its tasks runs on.

    The class attributes say what a suite's data allows, so callers ask the suite instead of its name.
    """

    name: ClassVar[str]
    trajectories: ClassVar[bool]
    """Train splits are generated tasks with gold paths: enough for SFT trajectories and a warm-up."""
    probes: ClassVar[bool]
    """Categories have ``knowledge_probes()`` and ``doc_pairs()`` (questions and chats on the API surface)."""
    option_names: ClassVar[tuple[str, ...]]
    """The options ``open`` takes, so a caller can refuse an unknown one before opening the suite."""

    @classmethod
    def open(cls, **options: Any) -> Suite:
        """The suite of these options (one per distinct options per process)."""
        ...

    def list_categories(self) -> list[str]: ...

    def category(self, name: str, seed: int = 0) -> SuiteCategory: ...

    @classmethod
    def backend(cls, task: Task) -> TaskBackend:
        """What a task of this suite runs on, rebuilt from the task alone (its ``source``), in any process."""
        ...
