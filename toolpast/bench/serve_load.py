"""`toolpast bench serve-load`: a burst of concurrent requests against `toolpast serve` and toolenv's
StableToolBench server (`python -m toolenv toolbench serve`), each started in its own process on loopback.

All `requests` are sent at once, each on its own connection (as many agents, or one client's thread pool, do),
from one asyncio loop, and the whole burst is bounded by `deadline_s`. A request without a complete HTTP
response is dropped: `late` if the deadline came first (still in SYN retransmits behind a full listen queue,
or waiting its turn for a model too slow for the burst), else refused or cut off. Prints sent, answered,
dropped (late), the statuses and p50/p99 latency per server; exits 1 if a request was dropped.
"""

from __future__ import annotations

import asyncio
import json
import math
import select
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

CHAT_BODY = {"messages": [{"role": "user", "content": "Say hi."}], "temperature": 0}


@dataclass(frozen=True)
class LoadResult:
    name: str
    sent: int
    latencies_s: list[float]  # of the answered requests
    statuses: Counter[int]
    wall_s: float
    late: int = 0  # dropped because the deadline came first (the rest were refused or cut off)

    @property
    def answered(self) -> int:
        return len(self.latencies_s)

    @property
    def dropped(self) -> int:
        return self.sent - self.answered

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the answered requests' latency (nan if none was answered)."""
        ranked = sorted(self.latencies_s)
        return ranked[max(math.ceil(q / 100 * len(ranked)) - 1, 0)] if ranked else math.nan

    def row(self) -> str:
        statuses = " ".join(f"{s}:{n}" for s, n in sorted(self.statuses.items()))
        return (f"{self.name:<10} {self.sent:>5} {self.answered:>8} {self.dropped:>7} {self.late:>5} "
                f"{self.percentile(50):>7.3f} {self.percentile(99):>7.3f} {self.wall_s:>7.2f}  {statuses}")


HEADER = (f"{'server':<10} {'sent':>5} {'answered':>8} {'dropped':>7} {'late':>5} {'p50_s':>7} {'p99_s':>7} "
          f"{'wall_s':>7}  statuses")


async def _exchange(host: str, port: int, request: bytes) -> int:
    """One request on a fresh connection: the response's status once its whole body has arrived."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        await writer.drain()
        status, length = int((await reader.readline()).split()[1]), 0
        while (line := await reader.readline()).strip():
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        return status
    finally:
        writer.close()


def run_load(url: str, body: dict, requests: int = 200, deadline_s: float = 60.0, name: str = "") -> LoadResult:
    """POST `body` to `url` `requests` times at once; whatever is unanswered after `deadline_s` is dropped."""
    parts = urlsplit(url)
    data = json.dumps(body).encode()
    request = (f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode() + data

    async def burst() -> tuple[list[tuple[int | str, float]], float]:
        loop = asyncio.get_running_loop()
        start = loop.time()

        async def one() -> tuple[int | str, float]:
            try:
                status: int | str = await asyncio.wait_for(_exchange(parts.hostname, parts.port, request),
                                                           start + deadline_s - loop.time())
            except asyncio.TimeoutError:
                status = "late"
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                status = "cut"
            return status, loop.time() - start

        done = await asyncio.gather(*(one() for _ in range(requests)))
        return done, loop.time() - start

    done, wall = asyncio.run(burst())
    answered = [(s, t) for s, t in done if isinstance(s, int)]
    return LoadResult(name or parts.path, requests, [t for _, t in answered], Counter(s for s, _ in answered), wall,
                      sum(s == "late" for s, _ in done))


def _virtual_request(data: str | None) -> dict:
    """A StableToolBench request for the first relevant API of the data's first query, with its example values."""
    from toolenv.toolbench import SuiteOptions, toolbench_suite

    categories = toolbench_suite(SuiteOptions.build(data_dir=data)).data.categories.values()
    query = next(q for c in categories for q in c.queries)
    api = next(a for a in query.apis if a.function_name == query.relevant[0])
    examples = {"NUMBER": 1, "BOOLEAN": True}
    tool_input = {p.name: p.default if p.default not in ("", None) else examples.get(p.type, "x")
                  for p in api.params if p.required}
    return {"category": api.category, "tool_name": api.tool, "api_name": api.api, "tool_input": json.dumps(tool_input),
            "strip": "truncate", "toolbench_key": ""}


def _started(command: Sequence[str], startup_s: float, log: Path) -> tuple[subprocess.Popen, str]:
    """Start a server that prints its URL (`... http://host:port/...`) as its first line; (process, that URL)."""
    with open(log, "wb") as err:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True)
    if select.select([proc.stdout], [], [], startup_s)[0]:
        line = proc.stdout.readline()
        if "http://" in line:
            return proc, line[line.index("http://"):].split()[0]
    proc.kill()
    proc.wait()
    said = log.read_text(errors="replace").strip().splitlines()
    raise ValueError(f"{' '.join(command[1:])} did not print its URL within {startup_s:.0f} s"
                     + (f": {said[-1]}" if said else ""))


def _stopped(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_serve_load(model: str = "smollm2-135m-instruct", data: str | None = None, requests: int = 200,
                   deadline_s: float = 60.0, max_tokens: int = 4, servers: Sequence[str] = ("chat", "toolbench"),
                   threads: int | None = 1, startup_s: float = 600.0) -> int:
    """Start each server, burst it, stop it; print a row each and `dropped: N`; 1 if anything was dropped."""
    serve = {"chat": [sys.executable, "-m", "toolpast", "serve", "--model", model, "--port", "0",
                      *(["--threads", str(threads)] if threads else [])],
             "toolbench": [sys.executable, "-m", "toolenv", "toolbench", "serve", "--port", "0",
                           *(["--data", data] if data else [])]}
    unknown = sorted(set(servers) - set(serve))
    if unknown:
        raise ValueError(f"--servers takes chat and toolbench, not {', '.join(unknown)}")
    if requests < 1:
        raise ValueError(f"--requests must be at least 1, got {requests}")
    results = []
    print(f"{requests} concurrent requests per server, one connection each, {deadline_s:.0f} s deadline", flush=True)
    print(HEADER, flush=True)
    with tempfile.TemporaryDirectory(prefix="toolpast-serve-load-") as tmp:
        for name in servers:
            body = {**CHAT_BODY, "max_tokens": max_tokens} if name == "chat" else _virtual_request(data)
            proc, url = _started(serve[name], startup_s, Path(tmp) / f"{name}.log")  # listening once it prints
            try:
                target = url + "/chat/completions" if name == "chat" else url
                results.append(run_load(target, body, requests, deadline_s, name))
            finally:
                _stopped(proc)
            print(results[-1].row(), flush=True)
    dropped = sum(r.dropped for r in results)
    print(f"dropped: {dropped}")
    return 1 if dropped else 0


def add_serve_load_parser(bench_sub) -> None:
    """Register `bench serve-load` (it sets its own func, which argparse prefers to the `bench` group's)."""
    load = bench_sub.add_parser("serve-load", help="A burst of concurrent requests against `toolpast serve` and "
                                                   "toolenv's StableToolBench server; exit 1 if any is dropped.")
    load.add_argument("--model", default="smollm2-135m-instruct", help="Model `toolpast serve` serves.")
    load.add_argument("--data", help="ToolBench query files for the toolenv server (default: its default).")
    load.add_argument("--requests", type=int, default=200, help="Concurrent requests per server (default 200).")
    load.add_argument("--deadline", type=float, default=60.0, help="Seconds the whole burst may take (default 60).")
    load.add_argument("--max-tokens", type=int, default=4, help="max_tokens of each chat request (default 4).")
    load.add_argument("--servers", default="chat,toolbench", help="Which servers, comma-separated.")
    load.add_argument("--threads", type=int, default=1, help="`toolpast serve --threads` (default 1).")
    load.set_defaults(func=_command)


def _command(args) -> int:
    return run_serve_load(args.model, args.data, args.requests, args.deadline, args.max_tokens,
                          [s.strip() for s in args.servers.split(",") if s.strip()], args.threads)
