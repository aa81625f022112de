"""Fixtures of the rollout tests: scripted OpenAI-compatible servers on loopback, closed after each test."""

import pytest
from chat_testutil import ScriptedServer


@pytest.fixture
def serve_script():
    """`serve_script(respond)` starts a ScriptedServer answering with `respond(hit, body)`."""
    started = []

    def start(respond) -> ScriptedServer:
        started.append(ScriptedServer(respond))
        return started[-1]

    yield start
    for server in started:
        server.close()
