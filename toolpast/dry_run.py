"""`toolpast run|sweep --dry-run`: validate the config, print the stage plan and the memory plan, build nothing.

A paper-scale run costs GPU-days before its first number, so what it will do is shown up front: every stage in
the order the pipeline runs it (pipeline.py, refinement.py, variants.py, sweep.py), with the data each training
stage sees, its steps, batch and the epochs that makes, and warnings where the counts disagree (a batch larger
than its data silently shrinks); then the per-device memory plan for 1 and 8 GPUs (memory_plan.py). Nothing is
trained, downloaded or written: the data counts come from toolenv's in-memory worlds.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolpast.config import RunConfig, TrainConfig
from toolpast.stages.data import WHOLE, Part, category_tasks, knowledge_protocol, train_tasks, warmup_rows


@dataclass(frozen=True)
class PlannedStage:
    stage: str
    data: str = ""
    rows: int | None = None  # training sequences (or RL tasks) the stage draws from
    steps: int | None = None
    batch: int | None = None  # sequences (episodes) per optimizer step, all devices together

    @property
    def epochs(self) -> float | None:
        if not (self.rows and self.steps and self.batch):
            return None
        return self.steps * min(self.batch, self.rows) / self.rows


def _part_label(part: Part) -> str:
    return "" if part == WHOLE else f"part {part[0]}/{part[1]}"


def _training(stage: str, what: str, rows: int, cfg: TrainConfig, where: str) -> PlannedStage:
    return PlannedStage(stage, f"{rows} {what} ({where})", rows, cfg.steps, cfg.batch_size)


def _knowledge(cfg: RunConfig, name: str, categories: list[str], part: Part = WHOLE) -> list[PlannedStage]:
    where = ", ".join([" + ".join(categories), _part_label(part)]).strip(", ")
    return [_training(name + step.suffix, step.noun, len(step.rows()), step.settings, where)
            for step in knowledge_protocol(categories, cfg, part)]


def _rl(cfg: RunConfig, name: str, categories: list[str], part: Part = WHOLE) -> PlannedStage:
    rl, tasks = cfg.rl, len(train_tasks(cfg, categories, part))
    where = ", ".join([" + ".join(categories), _part_label(part)]).strip(", ")
    return PlannedStage(name, f"{tasks} tasks ({where}), {rl.prompts_per_step} x {rl.num_generations} episodes/step, "
                              f"{rl.max_turns} turns", tasks, rl.steps, rl.prompts_per_step)


def source_plan(cfg: RunConfig) -> list[PlannedStage]:
    """Warm-up and the K refinement rounds (pipeline.prepare + refinement.refine)."""
    plan = []
    if cfg.warmup.enabled:
        plan.append(_training("warmup", "protocol trajectories", len(warmup_rows(cfg)), cfg.warmup,
                              " + ".join(cfg.warmup.categories)))
    total = cfg.refine_rounds
    for k in range(1, total + 1):
        label, part = ("" if total == 1 else f":{k}/{total}"), (k, total)
        plan += _knowledge(cfg, "sft_source" + label, cfg.source, part)
        if k > 1:
            plan.append(PlannedStage(f"inject:start{label}", f"round {k} SFT + v_{k - 1}"))
        plan.append(_rl(cfg, "rl" + label, cfg.source, part))
        plan.append(PlannedStage("vector" + label, "rl - sft"))
    return plan


def target_plan(cfg: RunConfig, with_orthogonality: bool = True) -> list[PlannedStage]:
    """Target SFT, the variants' extra stages and the evaluations (pipeline.evaluate_target, variants.py)."""
    from toolpast.variants import sweep

    tasks = len(category_tasks(cfg, cfg.target))
    ev = cfg.eval
    evaluation = f"{tasks} {ev.split} tasks x {ev.samples} sample{'s' if ev.samples > 1 else ''}, {ev.max_turns} turns"
    needs_sft = any(v in ("sft", "past", "target_rl") for v in ev.variants) or with_orthogonality
    plan = _knowledge(cfg, "sft_target", [cfg.target]) if needs_sft else []
    if with_orthogonality:
        plan.append(PlannedStage("orthogonality", "cos(dSFT, dRL), cos(dSFT source, dSFT target)"))
    for name in ev.variants:
        if name == "past":
            lams = sweep(cfg.lam, cfg.lam_sweep)
            for lam in lams:
                tag = "" if len(lams) == 1 else f"@{lam:g}"
                plan += [PlannedStage(f"inject{':' + tag[1:] if tag else ''}", f"target SFT + {lam:g} v"),
                         PlannedStage(f"eval:past{tag}", evaluation)]
            continue
        if name == "pre_injection":
            plan.append(PlannedStage("inject:pre", f"base + {cfg.lam:g} v"))
            plan += _knowledge(cfg, "sft_target:pre", [cfg.target])
        elif name == "sequential":
            plan += _knowledge(cfg, "sft_target:seq", [cfg.target])
        elif name == "target_rl":
            plan.append(_rl(cfg, "rl:target", [cfg.target]))
        plan.append(PlannedStage(f"eval:{name}", evaluation + (" (docs in the prompt)" if name == "open_book" else "")))
    return plan


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
    from toolpast.pipeline import check_config, check_eval_tasks, check_libraries

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
    from pathlib import Path

    from toolpast.feasibility import check_budget
    from toolpast.models import ModelNotAvailable, resolve_model

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
    from toolpast.memory_plan import plan_memory, render_plan

    head = (f"dry run: preset {cfg.preset}, model {cfg.model}, source {' + '.join(cfg.source)}, "
            f"{'target ' + cfg.target if targets is None else f'{len(targets)} targets'}; config valid; "
            "nothing built")
    source = source_plan(cfg)
    if targets is None:
        target = target_plan(cfg)
        blocks = [("stage plan", source + target)]
    else:
        per = target_plan(cfg.model_copy(update={"target": targets[0]}), with_orthogonality=False)
        runs = f" x {len(seeds)} seeds" if seeds and len(seeds) > 1 else ""
        for name in ("source_sft", "source_rl"):  # sweep.py's ladder rung b: the sources on their own tasks
            source += [PlannedStage(f"eval:{name}", f"{len(category_tasks(cfg, s))} {cfg.eval.split} tasks of {s}")
                       for s in cfg.source]
        blocks = [(f"source stages (once per seed{runs})", source),
                  (f"per target ({len(targets)}{runs}: {', '.join(targets)}); shown for {targets[0]}", per)]
    lines = [head]
    found = []
    for title, plan in blocks:
        lines += [f"{title}:", render_stages(plan)]
        found += warnings(plan)
    lines += [f"warning: {w}" for w in found]
    lines.append(render_plan(plan_memory(cfg)))
    return "\n".join(lines)
