"""`toolpast sweep`: PaST's transfer table, every RL-unseen target category in one resumable command.

Per seed, the source stages (warm-up, source SFT, GRPO, skill vector) are built once; then, per target category:
target SFT -> inject lambda * v -> evaluate base / target SFT / PaST on the target's tasks. Every stage is a
cached artifact, so a killed sweep reruns only what it had not finished, and the leaderboard is rewritten after
each target. The diagnostic ladder comes with every sweep:
  (a) knowledge: closed-book questions about each category's API docs (held-out phrasings), per variant;
  (b) skill at the source: source SFT vs source RL on the source category's own test tasks;
  (c) transfer: PaST vs target SFT per target, and their average (the table itself).
Outputs: one leaderboard JSON, the HTML page (the table as the paper prints it) and a markdown table.
With `--shard i/n` the sweep does its share of the (seed, target) pairs (shard.py) and writes its own export;
`toolpast leaderboard merge` over the shards' exports gives the unsharded sweep's leaderboard.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from toolpast import distributed
from toolpast.artifacts import Artifact, ArtifactStore
from toolpast.config import check_seed
from toolpast.io import atomic_write_text
from toolpast.leaderboard.schema import Entry, Leaderboard, Variant
from toolpast.paths import repo_root
from toolpast.progress import console
from toolpast.stages.model_ref import Model
from toolpast.stages.rounds import Round
from toolpast.tooluse.config import RunConfig
from toolpast.tooluse.pipeline import check_config, check_eval_tasks, check_export, entry, evaluate_target, prepare
from toolpast.tooluse.refinement import refine
from toolpast.tooluse.select import chosen_step
from toolpast.tooluse.shard import Shard
from toolpast.tooluse.stages import Stages

TASK_SUITE = repo_root() / "tasks" / "native.json"
SWEEP_VARIANTS = ["sft", "past"]  # base, open_book and the extra variants only when asked for (cost per target)


def native_targets() -> list[str]:
    """The RL-unseen target categories of the native suite (tasks/native.json, roles.targets)."""
    return list(json.loads(TASK_SUITE.read_text(encoding="utf-8"))["roles"]["targets"])


def resolve_targets(spec: str, cfg: RunConfig) -> list[str]:
    """`all` = the suite's reported targets (native: tasks/native.json); else a comma-separated list."""
    if spec.strip().lower() == "all":
        if cfg.suite != "native":
            raise ValueError("--targets all names the native suite's 21 targets; list the categories of "
                             f"suite {cfg.suite!r} explicitly")
        return native_targets()
    targets = list(dict.fromkeys(t.strip().lower() for t in spec.split(",") if t.strip()))
    if not targets:
        raise ValueError(f"--targets needs 'all' or a comma-separated list of categories, got {spec!r}")
    return targets


def check_seeds(seeds: list[int]) -> list[int]:
    """Each seed once (a repeated one would run twice and be exported twice) and one numpy takes: checked with the
    other settings, before the first stage."""
    if not seeds:
        raise ValueError("--seeds needs at least one seed")
    twice = sorted({seed for seed in seeds if seeds.count(seed) > 1})
    if twice:
        raise ValueError(f"--seeds names {', '.join(map(str, twice))} more than once: give each seed once")
    for seed in seeds:
        check_seed(seed)
    return seeds


def outputs_of(export: Path) -> tuple[Path, Path]:
    """The HTML page and markdown table written beside a sweep's leaderboard JSON."""
    return export.with_suffix(".html"), export.with_suffix(".md")


def write_outputs(board: Leaderboard, export: Path) -> None:
    from toolpast.leaderboard.html import write_page
    from toolpast.leaderboard.transfer import render_board

    atomic_write_text(export, board.model_dump_json(indent=2) + "\n")
    page, table = outputs_of(export)
    write_page(board, page)
    split = board.entries[0].split if board.entries else "test"
    atomic_write_text(table, render_board(board, split=split))


def source_ladder(stages: Stages, rounds: list[Round]) -> list[tuple[Variant, Model, str, Artifact]]:
    """Rung (b): does RL help where it was trained? The source SFT and RL models evaluated on each source's own
    tasks: (variant, model, source category, evaluation) per model and source."""
    cfg, last = stages.cfg, rounds[-1]
    found = []
    for source in cfg.source:
        for name, artifact in (("source_sft", last.sft), ("source_rl", last.rl)):
            model = Model.of(artifact)
            variant = Variant(name=name, source_categories=list(cfg.source), rounds=len(rounds),
                              rl_step=chosen_step(artifact.outputs) if name == "source_rl" else None)
            found.append((variant, model, source, stages.evaluate(name, model, source, "closed")))
    return found


def _source_ladder(stages: Stages, rounds: list[Round], command: str) -> list[Entry]:
    return [entry(stages, variant, model, source, "closed", result, command)
            for variant, model, source, result in source_ladder(stages, rounds)]


def run_sweep(cfg: RunConfig, targets: list[str], seeds: list[int], export: Path, force: set[str] = frozenset(),
              command: str = "toolpast sweep", store: ArtifactStore | None = None,
              shard: Shard | None = None) -> Leaderboard:
    """Build the table for every (seed, target) (with a shard: its share of them); the leaderboard and its page
    are rewritten after each target."""
    check_seeds(seeds)
    store = store or ArtifactStore()
    # Validate every target before the first stage runs: a typo must not cost the source stages' hour.
    configs = {(seed, target): cfg.model_copy(update={"seed": seed, "target": target})
               for seed in seeds for target in targets}
    mine = list(configs) if shard is None else shard.take(list(configs))
    if not mine:
        raise ValueError(f"--shard {shard}: the sweep has only {len(configs)} (seed, target) pairs, so this shard "
                         f"gets none; use at most {len(configs)} shards")
    entries: list[Entry] = []
    total, done, started, on_targets = len(mine), 0, time.time(), 0.0
    for config in configs.values():
        check_config(config, force)
    for source in cfg.source:  # the source ladder evaluates the sources on their own tasks
        check_eval_tasks(cfg, source)
    for path in (export, *outputs_of(export)):
        check_export(path)
    for seed in seeds:
        own = [target for s, target in mine if s == seed]
        if not own:
            continue
        # the source stages and their config are the unsharded sweep's, so every shard has the same keys
        stages = prepare(configs[(seed, targets[0])], force, store, targets=targets)
        rounds = refine(stages)
        if (seed, targets[0]) in mine:  # the seed's source ladder: once, by the shard of its first target
            entries += _source_ladder(stages, rounds, command)
        for target in own:
            # the ETA extrapolates the targets' own pace (the source stages are not a target's cost)
            eta = f", eta {on_targets / done * (total - done) / 60:.0f} min" if done else ""
            if distributed.is_main():
                console.rule(f"seed {seed} target {done + 1}/{total}: {target} "
                             f"(elapsed {(time.time() - started) / 60:.0f} min{eta})")
            began = time.time()
            entries += evaluate_target(stages.for_target(target), rounds, command)
            on_targets += time.time() - began
            done += 1
            distributed.on_main(lambda: write_outputs(Leaderboard(entries=entries), export))  # main writes
    return Leaderboard(entries=entries)
