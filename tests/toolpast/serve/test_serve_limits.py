"""`toolpast serve` against hostile or merely numerous clients: deep JSON is a 400, an oversize prompt is refused
without waiting for the model, idle and stalled connections are closed, bursts queue instead of being dropped,
and pooled keep-alive connections of the openai client survive the server closing idle ones."""

import json
import math
import time

import openai
import pytest
from hostile_http import NESTED, STALLED, expected_queue, post, queued_connections, seconds_until_closed

from toolenv.http_body import CLIENT_TIMEOUT_S
from toolpast.bench.serve_load import CHAT_BODY, run_load
from toolpast.models import load_model, load_tokenizer
from toolpast.serve import ChatApp, ChatServer, HFChatEngine
from toolpast.serve.engine import Completion

CHAT = "/v1/chat/completions"


class FakeEngine:
    """Answers at once: the HTTP side is under test, not the model."""

    name = "fake"

    def complete(self, messages, max_tokens=None, temperature=1.0, top_p=1.0, seed=None, stop=None) -> Completion:
        return Completion("hi", "stop", len(messages), 1)


def _serving(client_timeout: float):
    server = ChatServer(ChatApp(FakeEngine()), port=0, client_timeout=client_timeout)
    server.start()
    yield server
    server.close()


@pytest.fixture
def fake():
    yield from _serving(CLIENT_TIMEOUT_S)


@pytest.fixture
def impatient():
    """A half-second client timeout."""
    yield from _serving(0.5)


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    engine = HFChatEngine(load_model(tiny_model_dir), load_tokenizer(tiny_model_dir), "tiny-random")
    server = ChatServer(ChatApp(engine), port=0)
    server.start()
    yield server, engine
    server.close()


def test_deeply_nested_json_is_a_400(fake):
    status, body = post(fake, CHAT, NESTED)
    assert status == 400 and "nests arrays and objects more than 64 deep" in body["error"]["message"]
    inside = json.dumps({"messages": [{"role": "user", "content": "@"}]}).encode().replace(b'"@"', NESTED)
    assert post(fake, CHAT, inside)[0] == 400
    assert post(fake, CHAT, json.dumps(CHAT_BODY).encode())[0] == 200


def test_an_oversize_prompt_is_refused_without_waiting_for_the_model(tiny):
    server, engine = tiny
    prompt = "x" * 1_000_000  # 1 MB: more characters than any prompt that fits can have (checked below)
    with engine._lock:  # another client's generation holds the model
        start = time.monotonic()
        status, body = post(server, CHAT, json.dumps({"messages": [{"role": "user", "content": prompt}]}).encode(),
                            timeout=5)
        assert time.monotonic() - start < 3
    assert status == 400 and body["error"]["code"] == "context_length_exceeded"
    assert "the messages take at least" in body["error"]["message"]
    assert len(prompt) > engine.max_context * engine.max_token_chars


def test_the_character_bound_never_refuses_a_prompt_that_fits(tiny):
    engine = tiny[1]
    longest = max(engine.tokenizer.get_vocab(), key=len)
    for text in (longest * 50, engine.tokenizer.convert_tokens_to_string([longest]) * 50, "naïve 東京 🙂 " * 40):
        prompt = engine.prompt_text([{"role": "user", "content": text}])
        assert math.ceil(len(prompt) / engine.max_token_chars) <= len(engine.prompt_ids(prompt))


@pytest.mark.parametrize("sent", STALLED.values(), ids=list(STALLED))
def test_an_idle_or_stalled_client_is_disconnected(impatient, sent):
    assert seconds_until_closed(impatient, sent) < 3


def test_the_openai_client_reconnects_after_the_server_closed_its_idle_connection(impatient):
    client = openai.OpenAI(base_url=impatient.url, api_key="EMPTY", max_retries=0, timeout=10)
    for pause in (0, 0.1, 1.0):  # kept alive, then closed by the server's 0.5 s client timeout
        time.sleep(pause)
        assert client.chat.completions.create(model="fake", **CHAT_BODY).choices[0].message.content == "hi"


def test_a_burst_of_connections_waits_in_the_listen_queue():
    server = ChatServer(ChatApp(FakeEngine()), port=0)  # listening, not accepting
    try:
        assert queued_connections(server.server_address) >= expected_queue()
    finally:
        server.server_close()


def test_200_concurrent_requests_are_all_answered(fake):
    result = run_load(fake.url + "/chat/completions", CHAT_BODY, requests=200, deadline_s=30)
    assert (result.sent, result.answered, result.dropped, result.statuses) == (200, 200, 0, {200: 200})
