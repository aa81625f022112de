"""toolenv: a deterministic ToolBench-style tool-use simulator (RL environment and grader).

World
    Each category (named after a ToolBench RapidAPI category: Finance, Movies, ...) is a
    declarative spec (``toolenv/categories/<slug>.py``): entity tables with typed fields and
    foreign keys across tools, and 2-5 tools of 2-5 APIs each. Every API is a generic
    operation over a table (search, get, list, aggregate, quote, create, update) documented
    in ToolBench's JSON schema (``ApiDoc``) and called by its normalised function name
    ``{api_name}_for_{tool_name}``. A split's world is filled from seeded vocabularies
    (seeds derived with SHA-256, never ``hash()``); train and test use different worlds.

Tasks
    Generated per category, seed and split from recipes the spec allows: one API (G1), several
    APIs of one tool (G2_intra: look up an id, then query it; compare two records), several
    tools (G2_cross: follow a foreign key across tools), or a world change (act: book/update,
    then confirm). Gold calls run on the world itself, so gold facts are exactly what an
    agent observes. Splits are disjoint (a query's split is a hash of its text).

Protocol
    ToolLLaMA's ReAct text (``Thought/Action/Action Input``, ``Finish`` with ``give_answer`` or
    ``give_up_and_restart``) or OpenAI-style JSON tool calls, parsed tolerantly and validated
    strictly. Closed-book prompts hold the protocol only; open-book prompts add the docs.

Episode
    ``Episode(task, book, limits)``: ``reset()`` gives [system, user] messages, ``step(text)``
    an ``Observation``. Errors (unknown API with the closest valid names, bad arguments,
    malformed JSON, oversized input) are observations, never exceptions. Each episode owns a
    copy-on-write world; the step limit ends an episode unsolved.

Grading
    From state, not an LLM: success = a ``give_answer`` stating every gold fact (numbers and
    strings normalised) and, for act tasks, a final world equal to the gold world. Partial
    components (format, valid calls, API recall, fact recall, world) feed ``Grade.reward``;
    ``prototype_turn_rewards`` / ``prototype_reward`` rebuild the first author's per-turn ToolBench reward.

Suites
    ``get_category(name, seed, suite=..., **options)`` and ``list_categories(suite=...)``
    switch the data source (``toolenv.suites``): ``native`` (the generated categories above,
    the default) or ``stabletoolbench`` (``toolenv.toolbench``: the real ToolBench queries
    with their API docs, a deterministic API simulator, the solvable-path grader and a
    StableToolBench-compatible server). Every suite implements ``toolenv.suite.Suite``; its
    tasks run in the same ``Episode`` on their suite's ``TaskBackend``; a task's ``source``
    names its suite.

Also: ``knowledge_corpus()`` (SFT text about the API surface only), ``oracle_actions`` /
``oracle_conversation`` (gold paths), ``toolenv.trl_env.ToolEnvironment`` (TRL GRPOTrainer
``environment_factory`` adapter) and the CLI ``python -m toolenv {list,show,play,bench,toolbench}``.
"""

from toolenv.category import Category, get_task
from toolenv.docs import ApiDoc, ParamDoc
from toolenv.episode import Episode
from toolenv.grading import Grade, RewardWeights
from toolenv.oracle import oracle_actions, oracle_conversation
from toolenv.prototype_reward import prototype_reward, prototype_turn_rewards
from toolenv.records import EpisodeLimits, Observation, Task, TaskSource, ToolCall, Trajectory, TrajectoryStep
from toolenv.suites import get_category, list_categories

__all__ = [
    "ApiDoc", "Category", "Episode", "EpisodeLimits", "Grade", "Observation", "ParamDoc", "RewardWeights",
    "Task", "TaskSource", "ToolCall", "Trajectory", "TrajectoryStep", "get_category", "get_task", "list_categories",
    "oracle_actions", "oracle_conversation", "prototype_reward", "prototype_turn_rewards",
]
