"""Evaluation on the tiny model: the hf backend's batched greedy episodes equal one-at-a-time episodes."""

import json

import toolenv
from toolpast.config import EvalConfig
from toolpast.evaluate import evaluate
from toolpast.models import load_model, load_tokenizer
from toolpast.rollout.chat_tokens import ChatTokens
from toolpast.rollout.episodes import run_episodes
from toolpast.rollout.hf import HFGenerator


def _episodes(tasks):
    return [toolenv.Episode(t, book="closed", limits=toolenv.EpisodeLimits(max_steps=2)) for t in tasks]


def test_batched_equals_sequential_greedy(tiny_model_dir):
    tokenizer, model = load_tokenizer(tiny_model_dir), load_model(tiny_model_dir)
    chat = ChatTokens(tokenizer)
    tasks = toolenv.get_category("finance").tasks("test", n=4)
    batched = run_episodes(_episodes(tasks), HFGenerator(model, tokenizer, batch_size=4), chat, 2, 10)
    single = run_episodes(_episodes(tasks), HFGenerator(model, tokenizer, batch_size=1), chat, 2, 10)
    assert [r.completion_ids for r in batched] == [r.completion_ids for r in single]
    for record in batched:
        assert len(record.completion_ids) == len(record.completion_mask)
        assert record.model_tokens > 0 and record.turns >= 1


def test_evaluate_writes_graded_episodes(tiny_model_dir, tmp_path):
    tasks = toolenv.get_category("finance").tasks("test", n=3)
    metrics = evaluate(tiny_model_dir, tasks, "closed", EvalConfig(tasks=3, batch_size=2, max_turns=2,
                                                                    max_new_tokens=8), 0, "float32", tmp_path, "t")
    assert metrics["n"] == 3 and metrics["successes"] == 0  # a random model does not solve tasks
    assert metrics["ci95_low"] == 0.0 and 0 < metrics["ci95_high"] < 1
    lines = (tmp_path / "episodes.jsonl").read_text().splitlines()
    assert [json.loads(line)["trajectory"]["task_id"] for line in lines] == [t.id for t in tasks]
