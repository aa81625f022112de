"""An optional LLM judge: StableToolBench's solvable pass rate (SoPR).

A chat model reads the query, the calls with their observations and the final answer and
says ``Solved`` (1), ``Unsure`` (0.5) or ``Unsolved`` (0); each episode is judged
``runs`` times (3, sampled), the mean and std reported. Verdicts are cached per episode
(SHA-256 of model, query, steps and answer), so a second run needs no endpoint; an
episode without a non-empty ``give_answer`` is Unsolved without asking. Without an
endpoint, verdicts missing from the cache raise ``JudgeUnavailable``.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from toolenv.records import Trajectory
from toolenv.toolbench.canonical import digest
from toolenv.toolbench.chat import ChatEndpoint, EndpointError
from toolenv.toolbench.jsonfile import write_json
from toolenv.toolbench.options import default_cache_dir

__all__ = ["Verdict", "SCORES", "JudgeResult", "SoprSummary", "JudgeUnavailable", "SoprJudge", "sopr"]

Verdict = Literal["Solved", "Unsure", "Unsolved"]
SCORES: dict[str, float] = {"Solved": 1.0, "Unsure": 0.5, "Unsolved": 0.0}
_SYSTEM = """You grade whether an AI agent solved a user's request with API calls. Read the request, \
the calls with what they returned, and the final answer. Say "Solved" if the final answer addresses \
every part of the request with concrete information supported by the calls, "Unsolved" if it misses \
a part, gives up, or states things the calls did not support, and "Unsure" if you cannot tell. \
Reply with one JSON object: {"reason": "<one sentence>", "answer_status": "Solved" | "Unsure" | "Unsolved"}"""


class JudgeUnavailable(RuntimeError):
    """Verdicts are missing from the cache and no endpoint is configured."""


class JudgeResult(BaseModel):
    verdicts: list[Verdict]
    reasons: list[str]
    mean: float
    std: float


class SoprSummary(BaseModel):
    """SoPR over episodes: each run's pass rate, and their mean and std."""

    run_rates: list[float]
    mean: float
    std: float


def _result(verdicts: list[Verdict], reasons: list[str]) -> JudgeResult:
    scores = [SCORES[v] for v in verdicts]
    return JudgeResult(verdicts=verdicts, reasons=reasons, mean=statistics.fmean(scores),
                       std=statistics.pstdev(scores))


def _trace(trajectory: Trajectory) -> str:
    calls = [{"action": s.call.name if s.call else s.action[:200], "arguments": s.call.arguments if s.call else None,
              "observation": s.observation[:1000]} for s in trajectory.steps if s.status not in ("finish", "give_up")]
    return json.dumps(calls, ensure_ascii=False)[:8000]


class SoprJudge:
    def __init__(self, endpoint: str | None = None, model: str = "gpt-4o-mini", cache_dir: str | Path | None = None,
                 api_key_env: str = "OPENAI_API_KEY", runs: int = 3, temperature: float = 0.7) -> None:
        self.model, self.runs, self.temperature = model, runs, temperature
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir() / "sopr"
        self.endpoint = ChatEndpoint(endpoint, model, api_key_env) if endpoint else None

    def _ask(self, query: str, trajectory: Trajectory) -> tuple[Verdict, str]:
        assert self.endpoint is not None
        user = f"Request: {query}\nCalls: {_trace(trajectory)}\nFinal answer: {trajectory.final_answer}"
        messages = [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]
        for _ in range(3):
            reply = self.endpoint.json_reply(messages, temperature=self.temperature)
            status = str(reply.get("answer_status", "")).strip().capitalize()
            if status in SCORES:
                return status, str(reply.get("reason", ""))  # type: ignore[return-value]
        raise EndpointError(f"the judge at {self.endpoint.base_url} gave no valid answer_status")

    def judge(self, query: str, trajectory: Trajectory) -> JudgeResult:
        """``runs`` verdicts for one episode, from the cache where possible."""
        if not trajectory.finished or not (trajectory.final_answer or "").strip():
            return _result(["Unsolved"] * self.runs, ["no final answer"] * self.runs)
        key = digest({"model": self.model, "query": query, "answer": trajectory.final_answer,
                      "steps": [[s.action, s.observation] for s in trajectory.steps]})
        path = self.cache_dir / f"{key}.json"
        cached = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
        while len(cached) < self.runs:
            if self.endpoint is None:
                raise JudgeUnavailable(f"{self.runs - len(cached)} verdict(s) for this episode are not cached in "
                                       f"{self.cache_dir} and no judge endpoint is configured")
            verdict, reason = self._ask(query, trajectory)
            cached.append({"verdict": verdict, "reason": reason})
            write_json(path, cached)
        runs = cached[: self.runs]
        return _result([c["verdict"] for c in runs], [c["reason"] for c in runs])


def sopr(results: list[JudgeResult]) -> SoprSummary:
    """Pass rate of each judging run over the episodes; mean and std across runs."""
    if not results:
        return SoprSummary(run_rates=[], mean=0.0, std=0.0)
    runs = min(len(r.verdicts) for r in results)
    rates = [statistics.fmean(SCORES[r.verdicts[i]] for r in results) for i in range(runs)]
    return SoprSummary(run_rates=rates, mean=statistics.fmean(rates), std=statistics.pstdev(rates))
