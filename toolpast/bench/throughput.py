"""`toolpast bench throughput`: tokens per second of the rollout backends on the same episodes, against raw
transformers `generate` as the physical reference.

The same held-out tasks run greedily in one process, each mode timed `repeats` times (medians):
- hf, batched with the cross-turn KV cache (how evaluation and GRPO run on the hf backend);
- hf, batched re-encoding every turn (what the KV cache saves);
- vllm (with `--backends hf,vllm`): the same episodes on an in-process vLLM engine, whose start is timed apart
  (a sweep starts it once per checkpoint and reuses it);
- `generate`, replaying the hf loop's own turns: the same rows and conversations, the same token budget, each row
  stopping at EOS, but re-encoding the conversation every turn and keeping finished rows in the batch, as
  `model.generate` does (checks identity too; timed once: it is the slowest mode and no ratio uses it);
- `generate`, decode only: the first turn's prompts, every row generating the full budget (EOS ignored). This is
  the machine's decode speed at this batch: no observation prefill, no turn boundaries, no finished rows, the
  shortest contexts. `hf_vs_generate` (the last line) is the hf loop's model tokens/s over this one;
- hf, one episode at a time: the baseline of `speedup` (batched over sequential).
The hf modes and generate's decode-only are timed round by round, interleaved, so that a shared host's drift
during the run moves every median alike; vLLM and the replay run after them.
Greedy hf results must be identical token for token across hf modes and the replay, or the speed means nothing:
a mismatch is printed and the command exits 1. vLLM's kernels round differently, so its transcripts are compared
and the share of identical ones reported, not required.
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

BACKENDS = ("hf", "vllm")


@dataclass
class ModeResult:
    name: str
    seconds: list[float]
    completions: list[list[int]]
    model_tokens: int
    prefilled_tokens: int | None
    successes: int | None

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)

    @property
    def tokens_per_s(self) -> float:
        return self.model_tokens / self.median_s


class RecordingGenerator:
    """Passes calls through to a generator and keeps each (sequences, max_new_tokens, outputs): the turns that
    `generate` replays."""

    def __init__(self, generator):
        self.generator, self.calls = generator, []

    def generate(self, sequences, max_new_tokens, **kwargs):
        outputs = self.generator.generate(sequences, max_new_tokens, **kwargs)
        self.calls.append(([list(s) for s in sequences], max_new_tokens, [list(o) for o in outputs]))
        return outputs


def _episodes(tasks, max_turns: int):
    limits = toolenv.EpisodeLimits(max_steps=max_turns)
    return [toolenv.Episode(t, book="closed", limits=limits) for t in tasks]


def _run_episodes_mode(name: str, make_generator, chat: ChatTokens, tasks, batch_size: int, max_turns: int,
                       max_new_tokens: int, repeats: int, keep_calls: bool = False):
    """Time evaluate.py's loop (one batch of episodes at a time) `repeats` times with a fresh generator each."""
    seconds, records, generator = [], None, None
    for _ in range(repeats):
        generator = make_generator()
        recorder = RecordingGenerator(generator) if keep_calls else generator
        records = []
        started = time.perf_counter()
        for start in range(0, len(tasks), batch_size):
            records += run_episodes(_episodes(tasks[start:start + batch_size], max_turns), recorder, chat, max_turns,
                                    max_new_tokens)
        seconds.append(time.perf_counter() - started)
    result = ModeResult(name, seconds, [r.completion_ids for r in records], sum(r.model_tokens for r in records),
                        getattr(generator, "prefilled_tokens", None),
                        sum(r.episode.grade().success for r in records))
    return (result, recorder.calls) if keep_calls else result


def _merged(timings: list[ModeResult]) -> ModeResult:
    """One mode's single-timing results as one result with every timing (greedy: the outputs are the same)."""
    first = timings[0]
    return ModeResult(first.name, [s for t in timings for s in t.seconds], first.completions, first.model_tokens,
                      first.prefilled_tokens, first.successes)


def _left_padded(sequences: list[list[int]], pad_id: int, device):
    import torch

    width = max(len(s) for s in sequences)
    ids = torch.tensor([[pad_id] * (width - len(s)) + s for s in sequences], dtype=torch.long, device=device)
    mask = torch.tensor([[0] * (width - len(s)) + [1] * len(s) for s in sequences], dtype=torch.long, device=device)
    return ids, mask


def _replay_with_generate(model, tokenizer, calls, repeats: int) -> tuple[ModeResult, int]:
    """`model.generate` on the hf loop's own turns (greedy, native EOS stop). Returns the mode and how many of
    its replies differ from the loop's."""
    import torch

    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    eos, device = tokenizer.eos_token_id, next(model.parameters()).device
    seconds, differing, tokens = [], 0, 0
    for _ in range(repeats):
        differing, tokens, elapsed = 0, 0, 0.0
        for sequences, max_new_tokens, outputs in calls:
            ids, mask = _left_padded(sequences, pad, device)
            started = time.perf_counter()
            with torch.no_grad():
                out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens,
                                     do_sample=False, pad_token_id=pad, eos_token_id=eos)
            elapsed += time.perf_counter() - started
            for row, expected in zip(out[:, ids.shape[1]:].tolist(), outputs):
                reply = row[:row.index(eos) + 1] if eos in row else row
                tokens += len(reply)
                differing += reply != expected
        seconds.append(elapsed)
    return ModeResult("generate, replaying the hf turns", seconds, [], tokens, None, None), differing


def _generate_decode_only(model, tokenizer, prompts: list[list[int]], batch_size: int, max_new_tokens: int,
                          repeats: int) -> ModeResult:
    """`model.generate` on the first turn's prompts, every row generating exactly max_new_tokens."""
    import torch

    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    device = next(model.parameters()).device
    seconds = []
    for _ in range(repeats):
        elapsed = 0.0
        for start in range(0, len(prompts), batch_size):
            ids, mask = _left_padded(prompts[start:start + batch_size], pad, device)
            started = time.perf_counter()
            with torch.no_grad():
                model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens,
                               min_new_tokens=max_new_tokens, do_sample=False, pad_token_id=pad)
            elapsed += time.perf_counter() - started
        seconds.append(elapsed)
    return ModeResult("generate, decode only (first turn, EOS ignored)", seconds, [],
                      len(prompts) * max_new_tokens, None, None)


def run_throughput_bench(model_spec: str = "smollm2-135m-instruct", category: str = "finance", tasks: int = 16,
                         batch_size: int = 16, max_turns: int = 4, max_new_tokens: int = 64, repeats: int = 3,
                         sequential_repeats: int = 1, world_seed: int = 0, dtype: str = "float32",
                         backends: tuple[str, ...] = ("hf",), reference: bool = True, grpo_steps: int = 0,
                         console: Console | None = None, evaluation: bool = True,
                         grpo_passes: tuple[str, ...] = ("padded",), grpo_generations: int = 4,
                         grpo_micro_batch: int = 4) -> int:
    """Print the table and the summary lines; 0, or 1 when greedy hf results differ between modes.
    `evaluation=False`: only the GRPO steps (`grpo_steps` > 0). `grpo_passes`: grouped, padded or both (their ratio)."""
    from toolpast.distributed import device_kind
    from toolpast.models import load_model, load_tokenizer, resolve_model

    if not grpo_passes or set(grpo_passes) - {"grouped", "padded"}:
        raise ValueError(f"--grpo-passes takes grouped, padded or both; got {','.join(grpo_passes)}")
    unknown = sorted(set(backends) - set(BACKENDS))
    if unknown or "hf" not in backends:
        raise ValueError(f"--backends takes hf plus optionally vllm (the openai backend is a server's: `toolpast "
                         f"bench serve-load`); got {','.join(backends)}")
    if not evaluation:
        if grpo_steps < 1:
            raise ValueError("--grpo-only times GRPO steps: give --grpo-steps N (N >= 2: the first step is not "
                             "counted in the median)")
        _print_grpo_steps(model_spec, category, grpo_steps, max_turns, max_new_tokens, dtype, world_seed, backends,
                          grpo_passes, grpo_generations, grpo_micro_batch)
        return 0
    out = console or Console()
    if not out.is_terminal:  # logs and CI: rich would wrap the table at 80 columns
        out.width = max(out.width, 140)
    model_dir = resolve_model(model_spec)
    model, tokenizer = load_model(model_dir, dtype=dtype, device=device_kind()), load_tokenizer(model_dir)
    chat = ChatTokens(tokenizer)
    task_list = toolenv.get_category(category, seed=world_seed).tasks("test", n=tasks)
    args = dict(chat=chat, tasks=task_list, max_turns=max_turns, max_new_tokens=max_new_tokens)

    def hf(size: int, reuse: bool):
        return lambda: HFGenerator(model, tokenizer, batch_size=size, temperature=0.0, reuse_cache=reuse)

    prompts = [chat.prompt_ids(episode.reset()) for episode in _episodes(task_list, max_turns)]
    # The in-process timings go round by round (batched, re-encode, decode-only, one at a time), so a shared host
    # that slows down or speeds up during the run moves every mode's median alike instead of the ratios.
    timings: dict[str, list[ModeResult]] = {"batched": [], "re-encode": [], "decode": [], "sequential": []}
    calls = None
    for round_ in range(max(repeats, sequential_repeats)):
        if round_ < repeats:
            batched, recorded = _run_episodes_mode("hf, batched + KV cache", hf(batch_size, True),
                                                   batch_size=batch_size, repeats=1, keep_calls=True, **args)
            timings["batched"].append(batched)
            calls = calls or recorded
            timings["re-encode"].append(_run_episodes_mode("hf, batched, re-encode each turn", hf(batch_size, False),
                                                           batch_size=batch_size, repeats=1, **args))
            if reference:
                timings["decode"].append(_generate_decode_only(model, tokenizer, prompts, batch_size,
                                                               max_new_tokens, 1))
        if round_ < sequential_repeats:
            timings["sequential"].append(_run_episodes_mode("hf, one episode at a time", hf(1, True), batch_size=1,
                                                            repeats=1, **args))
    batched, reencode, sequential = (_merged(timings[name]) for name in ("batched", "re-encode", "sequential"))
    modes = [batched, reencode]
    engine_start = None
    if "vllm" in backends:
        vllm_mode, engine_start = _vllm_mode(model_dir, dtype, chat, batch_size, repeats, args)
        modes.append(vllm_mode)
    replay_differs, decode = None, None
    if reference:
        replay, replay_differs = _replay_with_generate(model, tokenizer, calls, 1)  # a bound and a check: once
        decode = _merged(timings["decode"])
        modes += [replay, decode]
    modes.append(sequential)

    n = len(task_list)
    table = Table(title=f"{model_spec} ({dtype}) on {n} {category} test tasks, greedy, {max_turns} turns x "
                        f"{max_new_tokens} tokens, batch {batch_size} (median of timings)")
    for column in ("mode", "timings", "median s", "episodes/s", "model tokens/s", "prefilled tokens", "successes"):
        table.add_column(column, justify="left" if column == "mode" else "right")
    for m in modes:
        table.add_row(m.name, str(len(m.seconds)), f"{m.median_s:.2f}",
                      f"{n / m.median_s:.3f}" if m.successes is not None else "-", f"{m.tokens_per_s:.1f}",
                      "-" if m.prefilled_tokens is None else str(m.prefilled_tokens),
                      "-" if m.successes is None else f"{m.successes}/{n}")
    out.print(table)
    identical = True
    for other in (modes[1], sequential):
        differing = [i for i, (a, b) in enumerate(zip(batched.completions, other.completions)) if a != b]
        if differing:
            identical = False
            out.print(f"[red]MISMATCH[/]: {other.name} differs from {batched.name} on episodes {differing}")
    if replay_differs:
        identical = False
        out.print(f"[red]MISMATCH[/]: generate's replay differs from the hf loop on {replay_differs} replies")
    print(f"identical_greedy_results: {'yes' if identical else 'no'}")
    print(f"kv_cache_speedup: {modes[1].median_s / batched.median_s:.2f}")
    if engine_start is not None:
        vllm_mode = modes[2]
        same = sum(a == b for a, b in zip(batched.completions, vllm_mode.completions))
        print(f"vllm_engine_start_s: {engine_start:.1f}")
        print(f"vllm_identical_transcripts: {same}/{n}")
        print(f"vllm_vs_hf: {vllm_mode.tokens_per_s / batched.tokens_per_s:.2f}")
    if grpo_steps:
        _print_grpo_steps(model_spec, category, grpo_steps, max_turns, max_new_tokens, dtype, world_seed, backends,
                          grpo_passes, grpo_generations, grpo_micro_batch)
    print(f"speedup: {sequential.median_s / batched.median_s:.2f}")
    if decode is not None:
        print(f"hf_vs_generate: {batched.tokens_per_s / decode.tokens_per_s:.2f}")
    sys.stdout.flush()
    return 0 if identical else 1


def _vllm_mode(model_dir, dtype: str, chat: ChatTokens, batch_size: int, repeats: int, args: dict):
    """The episodes on this process's vLLM evaluation engine (in the same dtype as the hf modes, eager), timed
    apart from the engine's start."""
    from toolpast.rollout.vllm import VLLMGenerator, shutdown_engines

    started = time.perf_counter()
    generator = VLLMGenerator.from_model_dir(model_dir, chat.eos_id, temperature=0.0, dtype=dtype)
    engine_start = time.perf_counter() - started
    try:
        # the same batches as the hf modes (evaluate.py hands every backend eval.batch_size episodes at a time)
        mode = _run_episodes_mode("vllm (in-process engine)", lambda: generator, batch_size=batch_size,
                                  repeats=repeats, **args)
    finally:
        shutdown_engines()
    return mode, engine_start


def grpo_step_times(model_spec: str, category: str, steps: int, max_turns: int, max_new_tokens: int, dtype: str,
                    world_seed: int, use_vllm: bool, workdir, generations: int = 4, micro_batch: int = 4,
                    length_grouped: bool = False) -> list[dict]:
    """`steps` GRPO steps of the cpu preset's recipe on `category`'s first train tasks (2 prompts x `generations`
    rollouts per step in micro-batches of `micro_batch`, 0 = one pass; the turn budget given), rolled out on vLLM
    (TRL's colocated engine) or on the hf loop, scored in length groups or in TRL's padded pass; their train-log
    rows (step_time, reward, lengths, and on vLLM the importance-sampling statistics)."""
    import json

    from toolpast.models import resolve_model
    from toolpast.overrides import apply_overrides
    from toolpast.tooluse.presets import get_preset
    from toolpast.tooluse.rl import run_rl

    cfg = apply_overrides(get_preset("cpu"), [
        f"rl.steps={steps}", "rl.prompts_per_step=2", f"rl.num_generations={generations}",
        f"rl.micro_batch_size={micro_batch}", f"rl.length_grouped_passes={str(length_grouped).lower()}",
        f"rl.max_turns={max_turns}", f"rl.max_new_tokens={max_new_tokens}", f"rl.use_vllm={str(use_vllm).lower()}",
        "rl.select_every=0", "rl.bf16_autocast=false"]).rl
    tasks = toolenv.get_category(category, seed=world_seed).tasks("train", n=8)
    run_rl(resolve_model(model_spec), tasks, cfg, workdir, seed=0, dtype=dtype,
           title=f"grpo ({'vllm' if use_vllm else 'hf'})")
    rows = [json.loads(line) for line in (workdir / "train_log.jsonl").read_text().splitlines()]
    return [row for row in rows if "loss" in row]


def _print_grpo_steps(model_spec, category, steps, max_turns, max_new_tokens, dtype, world_seed, backends,
                      passes=("padded",), generations: int = 4, micro_batch: int = 4) -> None:
    """GRPO step time per backend and per log-probability pass (TRL's padded, or `length_groups.py`'s), the
    median over the steps after the first, which holds an engine's start and, presumably, the process's own warm-up
    (the first variant timed: 284 s against 211 s for the same first step at 6 x 96, later steps within 10%). Both
    passes start from the same weights and seed, so they roll out the same episodes until float rounding in
    their updates parts them (the reward columns show where)."""
    import tempfile
    from pathlib import Path

    times = {}
    for backend in backends:
        for scoring in passes:
            name = backend if len(passes) == 1 else f"{backend}_{scoring}"
            with tempfile.TemporaryDirectory(prefix=f"grpo-{name}-") as tmp:
                rows = grpo_step_times(model_spec, category, steps, max_turns, max_new_tokens, dtype, world_seed,
                                       backend == "vllm", Path(tmp), generations=generations,
                                       micro_batch=micro_batch, length_grouped=scoring == "grouped")
            later = [row["step_time"] for row in rows[1:]] or [rows[0]["step_time"]]
            times[name] = statistics.median(later)
            extra = ""
            if backend == "vllm":
                difference = statistics.mean(r["sampling/sampling_logp_difference/mean"] for r in rows)
                extra = (f", sampling logp difference mean {difference:.1e}, "
                         f"IS ratio [{min(r['sampling/importance_sampling_ratio/min'] for r in rows):.3f}, "
                         f"{max(r['sampling/importance_sampling_ratio/max'] for r in rows):.3f}]")
            print(f"grpo_{name}: {len(rows)} steps, step s {[round(r['step_time'], 1) for r in rows]}, median after "
                  f"the first {times[name]:.1f}, reward mean {statistics.mean(r['reward'] for r in rows):.3f}, "
                  f"tokens {statistics.mean(r['completions/mean_length'] for r in rows):.0f}, rewards "
                  f"{[round(r['reward'], 4) for r in rows]}{extra}")
    if len(passes) == 2:
        for backend in backends:
            print(f"grpo_{backend}_grouped_vs_padded: "
                  f"{times[f'{backend}_padded'] / times[f'{backend}_grouped']:.2f}")
    elif "vllm" in times:
        print(f"grpo_vllm_vs_hf: {times['hf'] / times['vllm']:.2f}")
