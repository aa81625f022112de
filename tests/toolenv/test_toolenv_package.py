"""The package is importable without torch and exposes the documented public API."""

import subprocess
import sys

import toolenv

PUBLIC = {"ApiDoc", "Category", "Episode", "EpisodeLimits", "Grade", "Observation", "RewardWeights", "Task",
          "ToolCall", "Trajectory", "get_category", "list_categories", "oracle_actions", "oracle_conversation"}


def test_public_api():
    assert set(toolenv.__all__) >= PUBLIC
    for word in ("World", "Tasks", "Protocol", "Episode", "Grading"):
        assert word in toolenv.__doc__


def test_import_and_use_without_ml_frameworks():
    code = ("import sys, toolenv\n"
            "t = toolenv.get_category('finance').tasks('test', 2)[1]\n"
            "ep = toolenv.Episode(t); [ep.step(a) for a in toolenv.oracle_actions(t)]\n"
            "assert ep.grade().success\n"
            "import toolenv.trl_env\n"
            "heavy = {m.split('.')[0] for m in sys.modules} & {'torch', 'transformers', 'trl', 'numpy'}\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
