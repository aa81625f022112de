"""`toolpast serve` as a command: `--port 0` prints the URL it bound, answers, and stops cleanly on Ctrl-C."""

import json
import os
import signal
import subprocess
import sys
import urllib.request

import pytest

from toolpast.cli import build_parser


def test_serve_arguments():
    args = build_parser().parse_args(["serve", "--model", "tiny-random", "--port", "0"])
    assert (args.model, args.host, args.port, args.dtype) == ("tiny-random", "127.0.0.1", 0, "float32")


@pytest.mark.slow
def test_serve_command_prints_url_answers_and_stops(tiny_model_dir, session_home):
    env = {**os.environ, "TOOLPAST_HOME": str(session_home)}
    proc = subprocess.Popen([sys.executable, "-m", "toolpast", "serve", "--model", "tiny-random", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert "serving model 'tiny-random' at http://127.0.0.1:" in line, proc.stderr.read() if not line else line
        url = line.split(" at ", 1)[1].split()[0]
        request = urllib.request.Request(url + "/chat/completions", method="POST", data=json.dumps(
            {"model": "tiny-random", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4,
             "temperature": 0}).encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            assert json.loads(response.read())["usage"]["completion_tokens"] == 4
    finally:
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=120)  # interpreter shutdown with torch loaded is slow on a busy 2-core machine
    assert rc == 0


@pytest.mark.parametrize("threads", ["0", "-2"])
def test_serve_refuses_too_few_threads_in_one_line_before_loading_the_model(threads, capsys, monkeypatch):
    from toolpast.cli import main
    from toolpast.serve.engine import HFChatEngine

    monkeypatch.setattr(HFChatEngine, "load", lambda *a, **k: pytest.fail("the model must not be loaded"))
    assert main(["serve", "--model", "tiny-random", "--threads", threads]) == 2
    assert capsys.readouterr().err == f"toolpast: error: --threads must be at least 1, got {threads}\n"
