"""Fixtures of the rollout tests: scripted OpenAI-compatible servers on loopback, closed after each test."""

import pytest
from chat_testutil import ScriptedServer
from started_servers import started_servers


@pytest.fixture
def serve_script():
    """`serve_script(respond)` starts a ScriptedServer answering with `respond(hit, body)`."""
    yield from started_servers(ScriptedServer)
