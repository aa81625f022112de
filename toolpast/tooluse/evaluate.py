"""Zero-shot evaluation of one model on held-out tasks: episodes on any backend, graded by toolenv, summarised.

Backends: `hf` and `vllm` run episodes at the token level (toolpast.rollout.episodes; hf keeps each batch's KV
cache across turns); `openai` talks to any OpenAI-compatible server at the message level
(toolpast.rollout.chat_episodes). Greedy by default; `samples` > 1 with a temperature gives pass@k and pass^k.

Every finished batch is appended to `episodes.jsonl` (one graded trajectory per task and sample) before the next
starts, so a killed evaluation resumes where it stopped; the metrics are computed from that file only.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

import toolenv
from toolpast import distributed
from toolpast.io import atomic_write_text
from toolpast.leaderboard.schema import Metrics, TaskOutcome
from toolpast.leaderboard.stats import pass_k_fields, wilson_interval
from toolpast.progress import progress_bar
from toolpast.rollout.seeds import episode_key
from toolpast.stages.context import StageContext
from toolpast.tooluse.config import EvalConfig


def make_generator(model_dir: Path, cfg: EvalConfig, seed: int, dtype: str, tokenizer):
    """A token-level generator (hf or vllm) for `model_dir`."""
    if cfg.backend == "hf":
        from toolpast.distributed import device_kind
        from toolpast.models import load_model
        from toolpast.rollout.hf import HFGenerator

        model = load_model(model_dir, dtype=dtype, device=device_kind())
        return HFGenerator(model, tokenizer, batch_size=cfg.batch_size, temperature=cfg.temperature, seed=seed,
                           bf16_autocast=cfg.bf16_autocast)
    if cfg.backend == "vllm":
        from toolpast.rollout.vllm import VLLMGenerator, default_dtype

        return VLLMGenerator.from_model_dir(model_dir, tokenizer.eos_token_id, temperature=cfg.temperature, seed=seed,
                                            dtype=default_dtype(dtype))
    raise ValueError(f"backend {cfg.backend!r} is not a token-level backend")


def episode_runner(model_dir: Path, cfg: EvalConfig, seed: int, dtype: str):
    """`run(episodes) -> records` for the configured backend; records expose `.episode` and `.model_tokens`."""
    if cfg.backend == "openai":
        from toolpast.paths import toolpast_home
        from toolpast.rollout.chat_episodes import make_chat_client, run_chat_episodes
        from toolpast.rollout.seeds import sample_seed

        client = make_chat_client(cfg, toolpast_home() / "cache" / "openai")
        # one seed per (task, sample), not per batch position: k samples of a task must differ (pass@k)
        return lambda episodes, keys=None: run_chat_episodes(
            episodes, client, cfg.max_turns, cfg.max_new_tokens, concurrency=cfg.batch_size,
            temperature=cfg.temperature, seed=seed if keys is None else [sample_seed(seed, k) for k in keys])
    from toolpast.models import load_tokenizer
    from toolpast.rollout.chat_tokens import ChatTokens
    from toolpast.rollout.episodes import run_episodes

    tokenizer = load_tokenizer(model_dir)
    chat, generator = ChatTokens(tokenizer), make_generator(model_dir, cfg, seed, dtype, tokenizer)
    seeded = cfg.backend == "vllm"  # vllm seeds each episode from its key; hf samples from one seeded stream
    return lambda episodes, keys=None: run_episodes(episodes, generator, chat, cfg.max_turns, cfg.max_new_tokens,
                                                    keys=keys if seeded else None)


def summarise(rows: list[dict], samples: int = 1) -> dict:
    """Leaderboard metrics (leaderboard.schema.Metrics fields + `outcomes`) from episodes.jsonl rows.

    With several samples per task, n counts episodes (tasks x samples) and the Wilson interval treats them as
    independent, which overstates precision a little; pass@k and pass^k are per task.
    """
    grades = [toolenv.Grade.model_validate(r["grade"]) for r in rows]
    n = len(grades)
    successes = sum(g.success for g in grades)
    low, high = wilson_interval(successes, n)
    steps = sum(g.n_steps for g in grades)
    mean = (lambda values: round(sum(values) / n, 4)) if n else (lambda values: None)
    per_task: dict[str, list[int]] = {}
    for row, grade in zip(rows, grades):
        per_task.setdefault(row["task_id"], []).append(int(grade.success))
    outcomes = [TaskOutcome(task_id=t, successes=sum(v), samples=len(v)) for t, v in per_task.items()]
    metrics = {
        "success_rate": successes / n if n else 0.0, "n": n, "successes": successes,
        "ci95_low": round(low, 4), "ci95_high": round(high, 4),
        "mean_steps": mean([g.n_steps for g in grades]),
        "mean_model_tokens": mean([r["model_tokens"] for r in rows]),
        "error_observation_rate": round(sum(g.n_errors for g in grades) / steps, 4) if steps else None,
        "finished_rate": mean([float(g.finished) for g in grades]),
        "valid_call_rate": mean([g.valid_call_rate for g in grades]),
        "api_recall": mean([g.api_recall for g in grades]),
    }
    if samples > 1:
        metrics.update(pass_k_fields(outcomes))
    return {**metrics, "outcomes": [o.model_dump() for o in outcomes]}


def metrics_and_outcomes(outputs: dict) -> tuple[Metrics, list | None]:
    """What `summarise` returned, as leaderboard Metrics plus per-task outcomes (None for evaluations cached
    before outcomes existed)."""
    return Metrics(**{k: v for k, v in outputs.items() if k in Metrics.model_fields}), outputs.get("outcomes")


def _finished_rows(path: Path) -> dict[tuple[str, int], dict]:
    """Rows of a previous, interrupted attempt. A torn last line (killed mid-write) is dropped from the file, so
    that what is appended next starts on a line of its own."""
    rows, torn = {}, False
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                torn = True
                continue
            rows[(row["task_id"], row["sample"])] = row
        if torn:
            atomic_write_text(path, "".join(json.dumps(row) + "\n" for row in rows.values()))
    return rows


def evaluate(model_dir: Path, tasks: list, book: str, cfg: EvalConfig, ctx: StageContext) -> dict:
    """Episodes of `model_dir` on `tasks`, appended to ctx.workdir/episodes.jsonl batch by batch; the summary.

    Under several processes (toolpast.distributed) every rank calls this on the same workdir: main reads what a
    killed attempt finished and tells the others; the batches to run are cut exactly as one process cuts them
    (same tasks, same order, same size) and dealt round-robin, so each episode runs in the same batch as it
    would in one process and its row comes out byte-identical (greedy or vLLM decoding; hf sampling with a
    temperature draws from one stream per process, so its samples depend on the number of processes). After
    each round of batches main gathers the rows and appends them in batch order: the file is the one a single
    process writes. Only main writes, and only main's return value is meaningful (the others return {}).
    """
    if cfg.samples > 1 and cfg.temperature == 0:
        raise ValueError("eval.samples > 1 needs eval.temperature > 0: greedy samples are all identical")
    log = ctx.workdir / "episodes.jsonl"
    main = distributed.is_main()
    done: dict[tuple[str, int], dict] = {}  # main's rows; the others only need to know which are done

    def resume() -> set[tuple[str, int]]:
        done.update(_finished_rows(log))
        return set(done)

    finished = distributed.on_main(resume)
    jobs = [(task, sample) for sample in range(cfg.samples) for task in tasks]
    todo = [(task, sample) for task, sample in jobs if (task.id, sample) not in finished]
    batches = [todo[start:start + cfg.batch_size] for start in range(0, len(todo), cfg.batch_size)]
    ranks = distributed.world_size()
    mine = distributed.shard(batches)
    limits = toolenv.EpisodeLimits(max_steps=cfg.max_turns)
    with progress_bar(ctx.title, total=len(jobs)) if main else nullcontext(lambda *a, **k: None) as advance:
        advance(len(jobs) - len(todo), info="resumed" if finished else "")
        run = episode_runner(model_dir, cfg, ctx.seed, ctx.dtype) if mine else None
        try:
            for step in range(-(-len(batches) // ranks)):  # rounds of one batch per rank
                rows = []
                if step < len(mine):
                    batch = mine[step]
                    records = run([toolenv.Episode(task, book=book, limits=limits) for task, _ in batch],
                                  [episode_key(task.id, sample) for task, sample in batch])
                    rows = [{"task_id": task.id, "sample": sample,
                             "grade": record.episode.grade().model_dump(mode="json"),
                             "trajectory": record.episode.trajectory.model_dump(mode="json"),
                             "model_tokens": record.model_tokens} for (task, sample), record in zip(batch, records)]
                gathered = distributed.gather(rows)
                if not main:
                    continue
                with open(log, "a", encoding="utf-8") as handle:
                    for row in (row for part in gathered for row in part):  # rank order = batch order
                        done[(row["task_id"], row["sample"])] = row
                        handle.write(json.dumps(row) + "\n")
                    handle.flush()
                wins = sum(r["grade"]["success"] for r in done.values())
                advance(sum(map(len, gathered)), info=f"success {wins}/{len(done)}")
        finally:
            if run is not None and cfg.backend == "vllm":  # the engine sleeps: training stages get the GPU back
                from toolpast.rollout.vllm import release

                release()
    if not main:
        return {}
    return summarise([done[(task.id, sample)] for task, sample in jobs], cfg.samples)
