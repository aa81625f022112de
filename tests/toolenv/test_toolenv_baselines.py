"""Baselines that must fail: a random agent and an agent that answers at once."""

import json
import random

import toolenv
from toolenv.params import DATE_TYPE, TIME_TYPE


def _random_value(param, cat, rnd):
    if param.get("choices"):
        return rnd.choice(param["choices"])
    if param["type"] == "NUMBER":
        return rnd.randint(1, 10)
    if param["type"] == DATE_TYPE:
        return f"2025-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
    if param["type"] == TIME_TYPE:
        return f"{rnd.randint(0, 23):02d}:{rnd.choice(['00', '15', '30', '45'])}"
    if param["name"].endswith("_id"):  # a well-formed id with a random number
        prefix = {t.key: t.prefix for t in cat.spec.tables}.get(param["name"], "ID")
        return f"{prefix}-{rnd.randint(1000, 9999)}"
    return rnd.choice(["a", "the", "north", "river", "2", "blue"])


def random_agent(task, rnd):
    """Random APIs with random, well-typed arguments from the docs; answers with its last observation."""
    cat = toolenv.get_category(task.category)
    choices = {p.name: p.choices for fn in cat.functions.values() for p in fn.params}
    ep = toolenv.Episode(task)
    ep.reset()
    obs = None
    for _ in range(ep.limits.max_steps - 1):
        doc = rnd.choice(cat.api_docs)
        params = [p.model_dump() | {"choices": choices[p.name]} for p in doc.required_parameters]
        args = {p["name"]: _random_value(p, cat, rnd) for p in params}
        obs = ep.step(f"Thought: try\nAction: {doc.function_name}\nAction Input: {json.dumps(args)}")
    answer = {"return_type": "give_answer", "final_answer": obs.text}
    ep.step(f"Action: Finish\nAction Input: {json.dumps(answer)}")
    return ep.grade()


def finish_at_once(task):
    ep = toolenv.Episode(task)
    ep.reset()
    ep.step('Action: Finish\nAction Input: {"return_type": "give_answer", "final_answer": "I do not know."}')
    return ep.grade()


def _tasks():
    return [t for slug in toolenv.list_categories() for t in toolenv.get_category(slug).tasks("test")]


def test_random_agent_scores_near_zero():
    rnd = random.Random(0)
    grades = [random_agent(t, rnd) for t in _tasks()]
    assert sum(g.success for g in grades) / len(grades) <= 0.05
    assert max(g.reward() for g in grades if not g.success) <= 0.5


def test_finishing_at_once_scores_zero():
    grades = [finish_at_once(t) for t in _tasks()]
    assert sum(g.success for g in grades) == 0
    assert all(g.finished and g.api_recall == 0 for g in grades)
