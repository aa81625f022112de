"""Real ToolBench data: StableToolBench's queries and API docs as toolenv categories.

Data
    ``loader`` reads ToolBench/StableToolBench query files (``query``, ``query_id``,
    ``api_list``, ``relevant APIs``) and, optionally, ToolBench's tools folder
    (``<Category>/<tool>.json``), grouping queries and APIs by category, G1 and G2 together.
    Names are normalised as ToolBench does (``{api}_for_{tool}``, ``id`` -> ``is_id``) and
    every record keeps the documented spelling, so calls map back to files.

Categories
    ``ToolBenchSuite.open(**options)`` (also ``toolenv.get_category(..., suite=
    "stabletoolbench")``) implements ``toolenv.suite.Suite``: its categories have
    ``tasks(split, n)`` over disjoint hash-based splits of the real queries, ``api_docs``,
    ``docs_text()`` and the closed-book ``knowledge_corpus()`` built from API docs alone.

Responses
    Arguments are validated against the docs in every mode. ``mock`` fills the API's
    ``template_response`` from a hash of (seed, tool, api, arguments); ``replay`` reads
    StableToolBench's response cache, keyed on canonical JSON; ``llm`` asks any
    OpenAI-compatible endpoint and caches every answer, so reruns need no endpoint.

Grading
    The solvable-path metric (``grading``): every relevant API called validly, a
    ``give_answer`` Finish, a non-empty answer that states values the calls returned.
    ``judge`` adds StableToolBench's SoPR LLM judge (3 verdicts, mean and std, cached).

Serving
    ``server`` answers StableToolBench's ``POST /virtual`` from the same simulator, so
    ToolBench agents run unchanged; ``python -m toolenv toolbench {stats,check,serve}``.
"""

from toolenv.toolbench.category import ToolBenchCategory
from toolenv.toolbench.grading import SolvablePath, solvable_path, toolbench_grade
from toolenv.toolbench.options import SUITE, SuiteOptions
from toolenv.toolbench.suite import ToolBenchSuite, toolbench_suite

__all__ = ["SUITE", "SolvablePath", "SuiteOptions", "ToolBenchCategory", "ToolBenchSuite", "solvable_path",
           "toolbench_grade", "toolbench_suite"]
