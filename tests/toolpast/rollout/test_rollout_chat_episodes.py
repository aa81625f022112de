"""Message-level episodes on a scripted chat server: graded outcomes, token accounting, cut-off replies, seeds,
failures that stop the run, and the client an EvalConfig describes."""

import json
import math

import pytest
from chat_testutil import completion, error

import toolenv
from toolpast.rollout.chat_episodes import make_chat_client, run_chat_episodes
from toolpast.rollout.openai_chat import BackendUnavailable, OpenAIChatClient
from toolpast.tooluse.config import EvalConfig

TASKS = [t for t in toolenv.get_category("finance").tasks("test", n=12) if not t.mutates][:3]
ANSWERS = {t.query: ", ".join(t.gold_facts) for t in TASKS}


def _finish(answer: str) -> str:
    return ("Thought: I know it.\nAction: Finish\nAction Input: "
            + json.dumps({"return_type": "give_answer", "final_answer": answer}))


def _episodes():
    return [toolenv.Episode(t, book="closed", limits=toolenv.EpisodeLimits(max_steps=3)) for t in TASKS]


def _client(url, **kw):
    return OpenAIChatClient(url, "m", timeout_s=2, backoff_s=0.01, **kw)


def test_oracle_replies_are_graded_as_successes(serve_script):
    s = serve_script(lambda hit, body: (200, completion(_finish(ANSWERS[body["messages"][1]["content"]]), tokens=7)))
    records = run_chat_episodes(_episodes(), _client(s.url), max_turns=3, max_tokens=32, concurrency=2)
    assert all(r.episode.done and r.turns == 1 and r.model_tokens == 7 for r in records)
    assert [r.episode.grade().success for r in records] == [True] * len(TASKS)


def test_wrong_calls_continue_the_conversation_and_cut_offs_still_step(serve_script):
    def respond(hit, body):
        turn = sum(m["role"] == "assistant" for m in body["messages"])
        return 200, completion("Action: no_such_api\nAction Input: {}", "length" if turn == 0 else "stop", tokens=None)

    s = serve_script(respond)
    records = run_chat_episodes(_episodes(), _client(s.url), max_turns=2, max_tokens=8)
    for record in records:
        assert record.turns == 2 and record.cut_off_turns == 1 and record.estimated_tokens > 0
        assert record.model_tokens == 2 * math.ceil(len("Action: no_such_api\nAction Input: {}") / 4)
        messages = record.episode.messages
        assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
        assert "Unknown function" in messages[3]["content"] and not record.episode.grade().success
    # each request carries the conversation so far: the second turn sent the first reply and its observation
    assert max(len(b["messages"]) for b in s.bodies) == 4 and s.hits == 2 * len(TASKS)


def test_seeds_differ_per_episode_when_sampling_and_are_not_sent_when_greedy(serve_script):
    s = serve_script(lambda hit, body: (200, completion(_finish("x"))))
    run_chat_episodes(_episodes(), _client(s.url), max_turns=1, max_tokens=8, temperature=0.7, seed=10)
    assert sorted(b["seed"] for b in s.bodies) == [10, 11, 12]
    assert {b["temperature"] for b in s.bodies} == {0.7}
    run_chat_episodes(_episodes(), _client(s.url), max_turns=1, max_tokens=8, temperature=0.7, seed=[5, 9, 7])
    assert sorted(b["seed"] for b in s.bodies[3:]) == [5, 7, 9]
    run_chat_episodes(_episodes(), _client(s.url), max_turns=1, max_tokens=8, seed=10)
    assert [("seed" in b, b["temperature"]) for b in s.bodies[6:]] == [(False, 0.0)] * 3
    with pytest.raises(ValueError, match="2 seeds for 3 episodes"):
        run_chat_episodes(_episodes(), _client(s.url), max_turns=1, max_tokens=8, temperature=1.0, seed=[1, 2])


def test_a_failed_turn_stops_the_run_without_stepping_it(serve_script, tmp_path):
    def respond(hit, body):
        first_turn = len(body["messages"]) == 2
        return (200, completion("Action: no_such_api\nAction Input: {}")) if first_turn else (500, error("down"))

    s = serve_script(respond)
    episodes = _episodes()
    with pytest.raises(BackendUnavailable, match=s.url):
        run_chat_episodes(episodes, _client(s.url, max_retries=1, cache_dir=tmp_path), max_turns=3, max_tokens=8)
    assert [len(ep.trajectory.steps) for ep in episodes] == [1] * len(TASKS)


def test_make_chat_client_reads_the_eval_config(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="openai_base_url"):
        make_chat_client(EvalConfig(backend="openai"), tmp_path)
    with pytest.raises(ValueError, match="openai_model"):
        make_chat_client(EvalConfig(backend="openai", openai_base_url="http://127.0.0.1:1/v1"), tmp_path)
    monkeypatch.setenv("MY_KEY", "sk-test")
    cfg = EvalConfig(backend="openai", openai_base_url="http://127.0.0.1:1/v1/", openai_model="tiny",
                     openai_api_key_env="MY_KEY", request_timeout_s=5, max_retries=2)
    client = make_chat_client(cfg, tmp_path)
    assert (client.base_url, client.model, client.timeout_s, client.max_retries, client.cache_dir) == (
        "http://127.0.0.1:1/v1", "tiny", 5, 2, tmp_path)
    assert client._client.api_key == "sk-test"
    assert make_chat_client(cfg.model_copy(update={"response_cache": False}), tmp_path, model="x").cache_dir is None
    monkeypatch.delenv("MY_KEY")
    assert make_chat_client(cfg, tmp_path)._client.api_key == "EMPTY"
