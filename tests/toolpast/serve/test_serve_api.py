"""`toolpast serve` over HTTP on loopback with the tiny model: OpenAI's response shape, replies and whole
episodes through the openai backend equal to the hf backend's greedy generation, stop strings, seeds, and
400/404/405 with OpenAI's error body."""

import http.client
import json
from urllib.parse import urlparse

import openai
import pytest

import toolenv
from toolpast.models import load_model, load_tokenizer
from toolpast.rollout.chat_episodes import run_chat_episodes
from toolpast.rollout.chat_tokens import ChatTokens
from toolpast.rollout.episodes import run_episodes
from toolpast.rollout.hf import HFGenerator
from toolpast.rollout.openai_chat import OpenAIChatClient
from toolpast.serve import ChatApp, ChatServer, HFChatEngine
from toolpast.serve.server import is_loopback

MESSAGES = toolenv.Episode(toolenv.get_category("finance").tasks("test", n=1)[0]).reset()


@pytest.fixture(scope="module")
def served(tiny_model_dir):
    model, tokenizer = load_model(tiny_model_dir), load_tokenizer(tiny_model_dir)
    server = ChatServer(ChatApp(HFChatEngine(model, tokenizer, "tiny-random")), port=0)
    server.start()
    yield server, model, tokenizer
    server.close()


def _raw(server, method: str, path: str, body: bytes | None = None) -> tuple[int, dict]:
    url = urlparse(server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def _post(server, payload) -> tuple[int, dict]:
    return _raw(server, "POST", "/v1/chat/completions", json.dumps(payload).encode())


def test_greedy_reply_equals_hf_generation_on_the_chat_template(served):
    server, model, tokenizer = served
    status, body = _post(server, {"model": "tiny-random", "messages": MESSAGES, "max_tokens": 12, "temperature": 0})
    assert status == 200 and body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert body["model"] == "tiny-random" and isinstance(body["created"], int)
    chat = ChatTokens(tokenizer)
    prompt = tokenizer.apply_chat_template(MESSAGES, tokenize=True, add_generation_prompt=True)["input_ids"]
    new = HFGenerator(model, tokenizer).generate([list(prompt)], 12)[0]
    choice = body["choices"][0]
    assert choice["index"] == 0 and choice["message"] == {"role": "assistant", "content": chat.turn_text(new)}
    assert choice["finish_reason"] == ("stop" if new[-1] == chat.eos_id else "length")
    assert body["usage"] == {"prompt_tokens": len(prompt), "completion_tokens": len(new),
                             "total_tokens": len(prompt) + len(new)}


def test_openai_backend_episodes_equal_the_hf_backends(served):
    """The same greedy episodes, batched by the hf backend or served one request at a time to the openai one."""
    server, model, tokenizer = served
    tasks = toolenv.get_category("finance").tasks("test", n=3)
    hf = run_episodes([toolenv.Episode(t) for t in tasks], HFGenerator(model, tokenizer), ChatTokens(tokenizer),
                      max_turns=2, max_new_tokens=12)
    chat = run_chat_episodes([toolenv.Episode(t) for t in tasks], OpenAIChatClient(server.url, "tiny-random"),
                             max_turns=2, max_tokens=12, concurrency=3)
    assert [r.episode.messages for r in chat] == [r.episode.messages for r in hf]
    assert [r.model_tokens for r in chat] == [r.model_tokens for r in hf] and max(r.turns for r in hf) == 2


def test_openai_client_stop_strings_and_max_completion_tokens(served):
    server = served[0]
    client = openai.OpenAI(base_url=server.url, api_key="EMPTY", max_retries=0)
    ask = dict(model="tiny-random", messages=MESSAGES, max_tokens=20, temperature=1.0, seed=5)
    full = client.chat.completions.create(**ask)
    text = full.choices[0].message.content
    assert full.usage.completion_tokens == 20 and full.choices[0].finish_reason == "length" and len(text) > 12
    stop = text[8:11]  # the reply ends before the stop string's first occurrence (the prompt does not count)
    cut = client.chat.completions.create(**ask, stop=[stop, "never appears"])
    assert cut.choices[0].message.content == text[:text.index(stop)] and cut.choices[0].finish_reason == "stop"
    assert cut.usage.completion_tokens < 20
    assert client.chat.completions.create(**{**ask, "temperature": 0}, stop="\n").choices[0].message.content == ""
    short = client.chat.completions.create(**{**ask, "max_tokens": None}, max_completion_tokens=3)
    assert short.usage.completion_tokens == 3 and text.startswith(short.choices[0].message.content)


def test_seeded_sampling_is_reproducible(served):
    server = served[0]
    ask = {"messages": MESSAGES, "max_tokens": 16, "temperature": 1.0}
    replies = [_post(server, {**ask, "seed": seed})[1]["choices"][0]["message"]["content"] for seed in (1, 1, 2)]
    assert replies[0] == replies[1] != replies[2]
    for seed in (2 ** 63 - 1, -(2 ** 63)):  # the whole signed 64-bit range is served
        assert _post(server, {**ask, "max_tokens": 2, "seed": seed})[0] == 200


@pytest.mark.parametrize("payload, needle", [
    ({"messages": []}, "messages"),
    ({}, "messages"),
    ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages.0.role"),
    ({"messages": MESSAGES, "n": 2}, "n=1"),
    ({"messages": MESSAGES, "stream": True}, "stream"),
    ({"messages": MESSAGES, "temperature": 3}, "temperature"),
    ({"messages": MESSAGES, "max_tokens": 0}, "max_tokens"),
    ({"messages": MESSAGES, "stop": ["a", "b", "c", "d", "e"]}, "stop"),
    ({"messages": MESSAGES, "max_tokens": 10 ** 6}, "maximum context length"),
    ([1, 2], "dictionary"),
    ({"messages": MESSAGES, "seed": 2 ** 63}, "seed"),
    ({"messages": MESSAGES, "seed": 2 ** 64}, "seed"),
    ({"messages": MESSAGES, "seed": -(2 ** 63) - 1}, "seed"),
])
def test_bad_requests_get_400_with_openai_error_body(served, payload, needle):
    status, body = _post(served[0], payload)
    assert status == 400 and body["error"]["type"] == "invalid_request_error"
    assert needle in body["error"]["message"]


def test_bad_json_unknown_paths_models_and_methods(served):
    server = served[0]
    status, body = _raw(server, "POST", "/v1/chat/completions", b"{not json")
    assert status == 400 and "not valid JSON" in body["error"]["message"]
    status, body = _post(server, {"model": "gpt-4o", "messages": MESSAGES})
    assert status == 404 and body["error"]["code"] == "model_not_found" and "tiny-random" in body["error"]["message"]
    assert _raw(server, "GET", "/v1/completions")[0] == 404
    assert _raw(server, "GET", "/v1/chat/completions")[0] == 405
    assert _raw(server, "GET", "/health") == (200, {"status": "ok", "model": "tiny-random"})
    status, body = _raw(server, "GET", "/v1/models")
    assert status == 200 and [m["id"] for m in body["data"]] == ["tiny-random"]


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4") and not is_loopback("example.org")
