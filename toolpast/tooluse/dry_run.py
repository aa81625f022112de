"""`toolpast run|sweep --dry-run`: validate the config, print the stage plan and the memory plan, build nothing.

A paper-scale run costs GPU-days before its first number, so what it will do is shown up front: every stage in
the order the run builds it, with the data each training stage sees, its steps, batch and the epochs that makes,
and warnings where the counts disagree (a batch larger than its data silently shrinks); then the per-device
memory plan for 1 and 8 GPUs (memory_plan.py). The plan is made by running the run's own stage graph
(pipeline.run_stages; the sweep's source_ladder and target_evaluations) against a runner that builds nothing
(toolpast.stages.plan), so it cannot drift from what a run does. Nothing is trained, downloaded or written: the
data counts come from toolenv's in-memory worlds.
"""

from __future__ import annotations

from pathlib import Path

from toolpast.stages.model_ref import Model
from toolpast.stages.plan import PlannedStage, PlanningRunner
from toolpast.tooluse.config import RunConfig
from toolpast.tooluse.stages import Stages


def _planning(cfg: RunConfig) -> Stages:
    """The run's stage builders over a runner that records instead of building, from the raw model (never read)."""
    from toolpast.tooluse.pipeline import with_base

    return with_base(Stages(cfg, PlanningRunner(), Model(Path("<model>"), {"model": cfg.model})))


def run_plan(cfg: RunConfig) -> list[PlannedStage]:
    """Every stage `toolpast run` builds for this config, in order."""
    from toolpast.tooluse.pipeline import run_stages

    stages = _planning(cfg)
    run_stages(stages)
    return stages.runner.take()


def sweep_plan(cfg: RunConfig, targets: list[str]) -> tuple[list[PlannedStage], list[PlannedStage]]:
    """`toolpast sweep`'s stages for one seed: the stages built once (the source stages, the source ladder of rung
    b, and what the targets share), and the stages of one target (the first; every target has the same)."""
    from toolpast.tooluse.pipeline import target_evaluations
    from toolpast.tooluse.refinement import refine
    from toolpast.tooluse.sweep import source_ladder

    stages = _planning(cfg.model_copy(update={"target": targets[0]}))
    rounds = refine(stages)
    source_ladder(stages, rounds)
    source = stages.runner.take()
    target_evaluations(stages.for_target(targets[0]), rounds)
    first = stages.runner.take()
    if len(targets) > 1:  # a stage the first target builds and the second reuses (a sparsified v) is once per seed
        target_evaluations(stages.for_target(targets[1]), rounds)
        again = {s.stage for s in stages.runner.take()}
        source += [s for s in first if s.stage not in again]
        first = [s for s in first if s.stage in again]
    return source, first


def warnings(plan: list[PlannedStage]) -> list[str]:
    """Counts that disagree: a training batch larger than the data it draws from."""
    out = []
    for s in plan:
        if s.rows is not None and s.batch is not None and s.batch > s.rows:
            out.append(f"{s.stage}: a step of {s.batch} exceeds its {s.rows} rows (each step then sees {s.rows})")
        if s.rows == 0:
            out.append(f"{s.stage}: no training data")
    return out


def render_stages(plan: list[PlannedStage]) -> str:
    lines = [f"  {'stage':<28} {'steps':>5} {'batch':>5} {'epochs':>6}  data"]
    for s in plan:
        steps = "" if s.steps is None else str(s.steps)
        batch = "" if s.batch is None else str(s.batch)
        epochs = "" if s.epochs is None else f"{s.epochs:.1f}"
        lines.append(f"  {s.stage:<28} {steps:>5} {batch:>5} {epochs:>6}  {s.data}")
    return "\n".join(lines)


def dry_run(cfg: RunConfig, force: set[str] = frozenset(), targets: list[str] | None = None,
            seeds: list[int] | None = None) -> str:
    """Validate as `toolpast run` (targets None) or `toolpast sweep` would before its first stage (ValueError on
    a bad config), then describe the run. A missing optional library is a note, not an error: the plan is for
    the machine that will run it."""
    from toolpast.tooluse.pipeline import check_config, check_eval_tasks, check_libraries

    configs = [cfg] if targets is None else [cfg.model_copy(update={"seed": seed, "target": target})
                                             for seed in (seeds or [cfg.seed]) for target in targets]
    for config in configs:
        check_config(config, force, libraries=False)
    if targets is not None:
        for source in cfg.source:
            check_eval_tasks(cfg, source)
    report = describe_run(cfg, targets, seeds) + "\n" + _rung0(cfg, targets)
    try:
        check_libraries(cfg)
    except ValueError as missing:
        report += f"\nnote: on this machine {missing}"
    return report


def _rung0(cfg: RunConfig, targets: list[str] | None) -> str:
    """Rung 0 as the run will measure it (an infeasible budget is refused here too), when the model's tokenizer is
    on this machine; a note otherwise (a plan for a GPU run's hub model: a dry run downloads nothing)."""
    from toolpast.models import ModelNotAvailable, resolve_model
    from toolpast.tooluse.feasibility import check_budget

    missing = "a hub model" if "/" in cfg.model and not Path(cfg.model).expanduser().exists() else None
    if missing is None:
        try:
            model_dir = resolve_model(cfg.model)
        except ModelNotAvailable as error:
            missing = str(error).splitlines()[0]
    if missing is not None:
        return (f"rung 0 (feasibility): not measured here, {cfg.model} is not on this machine ({missing}); the run "
                "measures it at start-up")
    lines: list[str] = []
    check_budget(cfg, model_dir, targets, say=lines.append)
    return "rung 0 (feasibility: the oracle replayed under the budget with the model's tokenizer):\n" + "\n".join(
        "  " + line.removeprefix("rung 0: ") for line in lines)


def describe_run(cfg: RunConfig, targets: list[str] | None = None, seeds: list[int] | None = None) -> str:
    """The dry-run report of `toolpast run` (targets None) or `toolpast sweep` (its targets and seeds)."""
    from toolpast.tooluse.memory_plan import plan_memory, render_plan

    head = (f"dry run: preset {cfg.preset}, model {cfg.model}, source {' + '.join(cfg.source)}, "
            f"{'target ' + cfg.target if targets is None else f'{len(targets)} targets'}; config valid; "
            "nothing built")
    if targets is None:
        blocks = [("stage plan", run_plan(cfg))]
    else:
        source, per = sweep_plan(cfg, targets)
        runs = f" x {len(seeds)} seeds" if seeds and len(seeds) > 1 else ""
        blocks = [(f"once per seed{runs} (the source stages, and what the targets share)", source),
                  (f"per target ({len(targets)}{runs}: {', '.join(targets)}); shown for {targets[0]}", per)]
    lines = [head]
    found = []
    for title, plan in blocks:
        lines += [f"{title}:", render_stages(plan)]
        found += warnings(plan)
    lines += [f"warning: {w}" for w in found]
    lines.append(render_plan(plan_memory(cfg)))
    return "\n".join(lines)
