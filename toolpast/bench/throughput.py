"""`toolpast bench throughput`: episodes per second of the hf backend, batched vs one episode at a time.

The same held-out tasks run greedily three ways in one process: batched with the cross-turn KV cache (how
evaluation runs), batched re-encoding every turn (what the KV cache saves), and one episode at a time (the
baseline). Greedy results must be identical token for token, or the speed means nothing: a mismatch is printed
and the command exits 1. Medians of `repeats` timings; the last line is `speedup: N` (batched over sequential).
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

import toolenv
from toolpast.rollout.chat_tokens import ChatTokens
from toolpast.rollout.episodes import run_episodes
from toolpast.rollout.hf import HFGenerator


@dataclass
class ModeResult:
    name: str
    seconds: list[float]
    completions: list[list[int]]
    model_tokens: int
    prefilled_tokens: int
    successes: int

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)


def _run_mode(name: str, model, tokenizer, tasks, batch_size: int, reuse_cache: bool, max_turns: int,
              max_new_tokens: int, repeats: int) -> ModeResult:
    chat = ChatTokens(tokenizer)
    limits = toolenv.EpisodeLimits(max_steps=max_turns)
    seconds, records, prefilled = [], None, 0
    for _ in range(repeats):
        generator = HFGenerator(model, tokenizer, batch_size=batch_size, temperature=0.0, reuse_cache=reuse_cache)
        records = []
        started = time.perf_counter()
        for start in range(0, len(tasks), batch_size):  # evaluate.py's loop: one batch of episodes at a time
            episodes = [toolenv.Episode(t, book="closed", limits=limits) for t in tasks[start:start + batch_size]]
            records += run_episodes(episodes, generator, chat, max_turns, max_new_tokens)
        seconds.append(time.perf_counter() - started)
        prefilled = generator.prefilled_tokens
    return ModeResult(name, seconds, [r.completion_ids for r in records], sum(r.model_tokens for r in records),
                      prefilled, sum(r.episode.grade().success for r in records))


def run_throughput_bench(model_spec: str = "smollm2-135m-instruct", category: str = "finance", tasks: int = 16,
                         batch_size: int = 16, max_turns: int = 4, max_new_tokens: int = 64, repeats: int = 3,
                         sequential_repeats: int = 1, world_seed: int = 0, dtype: str = "float32",
                         console: Console | None = None) -> int:
    from toolpast.distributed import device_kind
    from toolpast.models import load_model, load_tokenizer, resolve_model

    out = console or Console()
    if not out.is_terminal:  # logs and CI: rich would wrap the table at 80 columns
        out.width = max(out.width, 140)
    model_dir = resolve_model(model_spec)
    model, tokenizer = load_model(model_dir, dtype=dtype, device=device_kind()), load_tokenizer(model_dir)
    task_list = toolenv.get_category(category, seed=world_seed).tasks("test", n=tasks)
    args = dict(max_turns=max_turns, max_new_tokens=max_new_tokens)
    modes = [
        _run_mode("batched + KV cache", model, tokenizer, task_list, batch_size, True, repeats=repeats, **args),
        _run_mode("batched, re-encode each turn", model, tokenizer, task_list, batch_size, False, repeats=repeats,
                  **args),
        _run_mode("one episode at a time", model, tokenizer, task_list, 1, True, repeats=sequential_repeats, **args),
    ]
    n = len(task_list)
    table = Table(title=f"{model_spec} on {n} {category} test tasks, greedy, {max_turns} turns x {max_new_tokens} "
                        f"tokens (median of timings)")
    for column in ("mode", "timings", "median s", "episodes/s", "model tokens/s", "prefilled tokens", "successes"):
        table.add_column(column, justify="left" if column == "mode" else "right")
    for m in modes:
        table.add_row(m.name, str(len(m.seconds)), f"{m.median_s:.2f}", f"{n / m.median_s:.3f}",
                      f"{m.model_tokens / m.median_s:.1f}", str(m.prefilled_tokens), f"{m.successes}/{n}")
    out.print(table)
    batched, reencoded, sequential = modes
    identical = True
    for other in (reencoded, sequential):
        differing = [i for i, (a, b) in enumerate(zip(batched.completions, other.completions)) if a != b]
        if differing:
            identical = False
            out.print(f"[red]MISMATCH[/]: {other.name} differs from {batched.name} on episodes {differing}")
    print(f"identical_greedy_results: {'yes' if identical else 'no'}")
    print(f"kv_cache_speedup: {reencoded.median_s / batched.median_s:.2f}")
    print(f"speedup: {sequential.median_s / batched.median_s:.2f}")
    sys.stdout.flush()
    return 0 if identical else 1
