"""One fixture body for every test that starts loopback servers: each one started is closed after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def started_servers(factory: Callable[[Any], Any]) -> Iterator[Callable[[Any], Any]]:
    """Yield ``start(arg)`` -> ``factory(arg)``; close every server it started once the test is done."""
    started: list[Any] = []

    def start(arg: Any) -> Any:
        started.append(factory(arg))
        return started[-1]

    yield start
    for server in started:
        server.close()
