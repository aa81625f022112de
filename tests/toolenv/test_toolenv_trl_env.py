"""The TRL environment adapter: tool schemas, discovery as TRL does it, and oracle reward."""

import inspect
import json

import pytest

import toolenv
from toolenv.trl_env import ToolEnvironment, dataset_rows, task_from_row


def _tools(env):
    """Exactly how GRPOTrainer picks an environment's tools (trl/trainer/grpo_trainer.py)."""
    return {name for name, _ in inspect.getmembers(type(env), predicate=inspect.isfunction)
            if name not in ("reset", "get_reward") and not name.startswith("_")}


def test_tools_are_exactly_call_api_and_finish_with_valid_schemas():
    from transformers.utils import get_json_schema

    env = ToolEnvironment()
    assert _tools(env) == {"call_api", "finish"}
    schema = get_json_schema(env.call_api)["function"]
    assert schema["name"] == "call_api" and schema["parameters"]["required"] == ["name", "arguments"]
    assert get_json_schema(env.finish)["function"]["parameters"]["properties"]["answer"]["type"] == "string"


@pytest.mark.parametrize("as_string", [True, False])
def test_oracle_driven_tool_calls_earn_reward_one(as_string):
    for slug in ("finance", "movies", "education"):
        rows = dataset_rows(slug, "test", n=12, book="open")
        for row in rows:
            env = ToolEnvironment(book="open")
            query = env.reset(**row)
            task = task_from_row(row)
            assert query == task.query and row["prompt"][-1] == {"role": "user", "content": ""}
            for call in task.gold_calls:
                reply = env.call_api(call.name, json.dumps(call.arguments) if as_string else call.arguments)
                assert json.loads(reply)["error"] == ""
            env.finish(task.gold_answer)
            assert env.get_reward() == 1.0


def test_failures_are_replies_and_rewards_stay_partial():
    env = ToolEnvironment()
    assert "reset" in json.loads(env.call_api("x", "{}"))["error"] and env.get_reward() == 0.0
    task = toolenv.get_category("finance").tasks("test", 1)[0]
    env.reset(task=task.model_dump_json())
    assert "Closest valid functions" in json.loads(env.call_api("get_quote", "{}"))["error"]
    env.finish("no idea")
    assert 0.0 <= env.get_reward() < 0.5
    assert "over" in json.loads(env.finish("again"))["error"]
    with pytest.raises(ValueError, match="task_id"):
        env.reset(prompt=[])
