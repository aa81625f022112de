"""Zero-shot evaluation of one model on held-out tasks: greedy episodes, graded by toolenv, summarised.

Writes `episodes.jsonl` (one graded trajectory per task) and returns the leaderboard metrics.
"""

from __future__ import annotations

import json
from pathlib import Path

import toolenv
from toolpast.config import EvalConfig
from toolpast.leaderboard.stats import wilson_interval
from toolpast.progress import progress_bar
from toolpast.rollout.chat_tokens import ChatTokens
from toolpast.rollout.episodes import EpisodeRecord, run_episodes


def make_generator(model_dir: Path, cfg: EvalConfig, seed: int, dtype: str, tokenizer):
    if cfg.backend == "hf":
        from toolpast.models import load_model
        from toolpast.rollout.hf import HFGenerator
        from toolpast.stages.training import device_kind

        model = load_model(model_dir, dtype=dtype, device=device_kind())
        return HFGenerator(model, tokenizer, batch_size=cfg.batch_size, temperature=0.0, seed=seed)
    if cfg.backend == "vllm":
        from toolpast.rollout.vllm import VLLMGenerator

        return VLLMGenerator.from_model_dir(model_dir, tokenizer.eos_token_id, temperature=0.0, seed=seed,
                                            dtype="bfloat16" if dtype == "float32" else dtype)
    raise NotImplementedError(f"backend {cfg.backend!r} is not wired into token-level evaluation yet")


def summarise(records: list[EpisodeRecord]) -> dict:
    """Leaderboard metrics (see leaderboard.schema.Metrics) from graded episodes."""
    grades = [r.episode.grade() for r in records]
    n = len(grades)
    successes = sum(g.success for g in grades)
    low, high = wilson_interval(successes, n)
    steps = sum(g.n_steps for g in grades)
    mean = (lambda values: round(sum(values) / n, 4)) if n else (lambda values: None)
    return {
        "success_rate": successes / n if n else 0.0, "n": n, "successes": successes,
        "ci95_low": round(low, 4), "ci95_high": round(high, 4),
        "mean_steps": mean([g.n_steps for g in grades]),
        "mean_model_tokens": mean([r.model_tokens for r in records]),
        "error_observation_rate": round(sum(g.n_errors for g in grades) / steps, 4) if steps else None,
        "finished_rate": mean([float(g.finished) for g in grades]),
        "valid_call_rate": mean([g.valid_call_rate for g in grades]),
        "api_recall": mean([g.api_recall for g in grades]),
    }


def evaluate(model_dir: Path, tasks: list, book: str, cfg: EvalConfig, seed: int, dtype: str, workdir: Path,
             title: str) -> dict:
    from toolpast.models import load_tokenizer

    tokenizer = load_tokenizer(model_dir)
    chat = ChatTokens(tokenizer)
    generator = make_generator(model_dir, cfg, seed, dtype, tokenizer)
    limits = toolenv.EpisodeLimits(max_steps=cfg.max_turns)
    records: list[EpisodeRecord] = []
    with progress_bar(title, total=len(tasks)) as advance:
        for start in range(0, len(tasks), cfg.batch_size):
            batch = [toolenv.Episode(t, book=book, limits=limits) for t in tasks[start:start + cfg.batch_size]]
            done = run_episodes(batch, generator, chat, cfg.max_turns, cfg.max_new_tokens)
            records += done
            advance(len(done), info=f"success {sum(r.episode.grade().success for r in records)}/{len(records)}")
    with open(workdir / "episodes.jsonl", "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps({"grade": record.episode.grade().model_dump(mode="json"),
                                     "trajectory": record.episode.trajectory.model_dump(mode="json"),
                                     "model_tokens": record.model_tokens}) + "\n")
    return summarise(records)
