"""The openai backend's client: retries, timeouts and the response cache against real HTTP servers on loopback,
and whole toolenv episodes through `toolpast serve` on the tiny model."""

import json

import pytest
from chat_testutil import cache_files, completion, error, unused_port

import toolenv
from toolpast.models import load_model, load_tokenizer
from toolpast.rollout.chat_episodes import run_chat_episodes
from toolpast.rollout.chat_tokens import ChatTokens
from toolpast.rollout.episodes import run_episodes
from toolpast.rollout.hf import HFGenerator
from toolpast.rollout.openai_chat import BackendRequestError, BackendUnavailable, OpenAIChatClient, request_key
from toolpast.serve import ChatApp, ChatServer, HFChatEngine

MESSAGES = [{"role": "system", "content": "You are a tool agent."}, {"role": "user", "content": "Price of ACME?"}]
FAST = dict(timeout_s=0.3, backoff_s=0.01)


def test_server_errors_are_retried_until_success(serve_script, tmp_path):
    server = serve_script(lambda hit, body: (500, error("boom")) if hit < 2 else (200, completion("Thought: ok")))
    client = OpenAIChatClient(server.url, "m", max_retries=4, cache_dir=tmp_path, **FAST)
    result = client.complete(MESSAGES, 16)
    assert (result.content, result.completion_tokens, result.finish_reason, result.cached) == ("Thought: ok", 3,
                                                                                             "stop", False)
    assert server.hits == 3
    assert server.bodies[0]["temperature"] == 0.0 and server.bodies[0]["max_tokens"] == 16


def test_rate_limit_is_retried_but_other_4xx_are_not(serve_script, tmp_path):
    limited = serve_script(lambda hit, body: (429, error("slow down")) if hit == 0 else (200, completion("a")))
    assert OpenAIChatClient(limited.url, "m", cache_dir=tmp_path, **FAST).complete(MESSAGES, 8).content == "a"
    assert limited.hits == 2
    refused = serve_script(lambda hit, body: (400, error("bad field max_tokens")))
    with pytest.raises(BackendRequestError, match="bad field max_tokens"):
        OpenAIChatClient(refused.url, "m", cache_dir=tmp_path / "c2", **FAST).complete(MESSAGES, 8)
    assert refused.hits == 1
    assert cache_files(tmp_path / "c2") == []


def test_persistent_500_is_reported_after_all_attempts_and_not_cached(serve_script, tmp_path):
    server = serve_script(lambda hit, body: (503, error("overloaded")))
    client = OpenAIChatClient(server.url, "m", max_retries=3, cache_dir=tmp_path, **FAST)
    with pytest.raises(BackendUnavailable) as info:
        client.complete(MESSAGES, 8)
    assert server.hits == 4
    message = str(info.value)
    assert server.url in message and "4 attempt" in message and "503" in message and "overloaded" in message
    assert cache_files(tmp_path) == []


def test_slow_server_times_out_is_retried_then_reported(serve_script, tmp_path):
    server = serve_script(lambda hit, body: (200, completion("late"), 1.0))
    client = OpenAIChatClient(server.url, "m", max_retries=1, cache_dir=tmp_path, **FAST)
    with pytest.raises(BackendUnavailable, match="timed out") as info:
        client.complete(MESSAGES, 8)
    assert server.url in str(info.value) and "2 attempt" in str(info.value)
    assert server.hits == 2
    assert cache_files(tmp_path) == []


def test_slow_first_reply_then_fast_succeeds(serve_script, tmp_path):
    server = serve_script(lambda hit, body: (200, completion(f"reply {hit}"), 1.0 if hit == 0 else 0))
    assert OpenAIChatClient(server.url, "m", cache_dir=tmp_path, **FAST).complete(MESSAGES, 8).content == "reply 1"


def test_unreachable_server_is_reported(tmp_path):
    url = f"http://127.0.0.1:{unused_port()}/v1"
    client = OpenAIChatClient(url, "m", max_retries=2, cache_dir=tmp_path, **FAST)
    with pytest.raises(BackendUnavailable, match="3 attempt") as info:
        client.complete(MESSAGES, 8)
    assert url in str(info.value) and "Connect" in str(info.value)
    assert cache_files(tmp_path) == []


def test_cached_reply_is_reused_and_survives_a_new_client(serve_script, tmp_path):
    server = serve_script(lambda hit, body: (200, completion(f"reply {hit}", tokens=None)))
    first = OpenAIChatClient(server.url, "m", cache_dir=tmp_path, **FAST).complete(MESSAGES, 8)
    again = OpenAIChatClient(server.url, "m", cache_dir=tmp_path, **FAST).complete(MESSAGES, 8)
    assert server.hits == 1 and first.cached is False and again.cached is True
    assert (again.content, again.completion_tokens) == ("reply 0", None)
    files = cache_files(tmp_path)
    key = request_key({"model": "m", "messages": MESSAGES, "max_tokens": 8, "temperature": 0.0, "seed": None,
                       "stop": None})
    assert [f.name for f in files] == [f"{key}.json"]  # no temp files left behind
    assert json.loads(files[0].read_text())["content"] == "reply 0"
    client = OpenAIChatClient(server.url, "m", cache_dir=tmp_path, **FAST)
    client.complete(MESSAGES, 9)  # any field of the request is part of the key
    client.complete(MESSAGES, 8, stop=["Observation:"])
    OpenAIChatClient(server.url, "other", cache_dir=tmp_path, **FAST).complete(MESSAGES, 8)
    assert server.hits == 4


def test_seedless_sampling_is_never_cached_but_seeded_is(serve_script, tmp_path):
    server = serve_script(lambda hit, body: (200, completion(f"reply {hit}")))
    client = OpenAIChatClient(server.url, "m", cache_dir=tmp_path, **FAST)
    assert [client.complete(MESSAGES, 8, temperature=1.0).content for _ in range(2)] == ["reply 0", "reply 1"]
    assert cache_files(tmp_path) == []
    assert [client.complete(MESSAGES, 8, temperature=1.0, seed=3).content for _ in range(2)] == ["reply 2"] * 2
    assert server.bodies[-1]["seed"] == 3 and server.hits == 3


def test_corrupt_cache_file_is_refetched(serve_script, tmp_path):
    server = serve_script(lambda hit, body: (200, completion(f"reply {hit}")))
    client = OpenAIChatClient(server.url, "m", cache_dir=tmp_path, **FAST)
    client.complete(MESSAGES, 8)
    cache_files(tmp_path)[0].write_text("{not json")
    assert client.complete(MESSAGES, 8).content == "reply 1"
    assert client.complete(MESSAGES, 8).cached is True


@pytest.fixture(scope="module")
def tiny_server(tiny_model_dir):
    engine = HFChatEngine(load_model(tiny_model_dir), load_tokenizer(tiny_model_dir), "tiny-random")
    server = ChatServer(ChatApp(engine), port=0)
    server.start()
    yield server
    server.close()


def _episodes(n: int):
    tasks = toolenv.get_category("finance").tasks("test", n=n)
    return [toolenv.Episode(t, book="closed", limits=toolenv.EpisodeLimits(max_steps=2)) for t in tasks]


def test_episodes_end_to_end_through_toolpast_serve(tiny_server, tiny_model_dir, tmp_path):
    client = OpenAIChatClient(tiny_server.url, "tiny-random", cache_dir=tmp_path, timeout_s=30, backoff_s=0.01)
    records = run_chat_episodes(_episodes(3), client, max_turns=2, max_tokens=6, concurrency=3)
    for record in records:
        grade = record.episode.grade()  # a random model never solves a task, but every episode is graded
        assert record.episode.done and grade.n_steps == record.turns == 2 and not grade.success
        assert record.model_tokens == 12 and record.estimated_tokens == 0 and record.cut_off_turns == 2
    # the first reply is the hf backend's greedy continuation of the same chat-templated prompt
    tokenizer = load_tokenizer(tiny_model_dir)
    hf = run_episodes(_episodes(3), HFGenerator(load_model(tiny_model_dir), tokenizer), ChatTokens(tokenizer), 1, 6)
    assert [r.episode.trajectory.steps[0].action for r in records] == [
        r.episode.trajectory.steps[0].action for r in hf]
    rerun = run_chat_episodes(_episodes(3), client, max_turns=2, max_tokens=6)
    assert [r.cached_turns for r in rerun] == [2, 2, 2]
    assert [r.episode.trajectory for r in rerun] == [r.episode.trajectory for r in records]
