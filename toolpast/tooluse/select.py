"""Which of RL's kept policies becomes the stage's model (rl.select_every > 0).

GRPO at small scale does not improve monotonically: a run can solve more tasks mid-way than at its last step
(docs/results.md, recipe log item 8: train success 0.38 over steps 17-24, 0.07 over 25-32). The paper keeps the last
step; this chooses, before any target is touched, the kept policy (`snapshots.py`) that solves the most of the source's
*selection* tasks: held out of every training stage and distinct from the validation tasks the ladder reports
(`tooluse/data.selection_tasks`), so the choice cannot flatter a reported row. Ties go to the later step, the paper's
choice. Greedy, closed-book episodes with the evaluation's limits.

Every score and the choice are recorded (`selection.json`, then the stage's outputs). A killed choice resumes:
each policy's episodes are appended as they finish (`evaluate`), and the choice, once written, is only carried
out again (the chosen snapshot moved to `model/`, the others dropped).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from toolpast import distributed
from toolpast.io import atomic_write_text
from toolpast.stages.context import StageContext
from toolpast.stages.snapshots import SNAPSHOTS, kept_steps, snapshot_dir
from toolpast.tooluse.config import EvalConfig, RunConfig
from toolpast.tooluse.data import selection_tasks
from toolpast.tooluse.evaluate import evaluate

CHOICE_FILE = "selection.json"
# the evaluation settings that change a policy's score (its RL stage's key holds them; eval.split, eval.tasks and
# the variants do not touch the selection tasks, so a sweep on the test split reuses a validation sweep's RL)
SCORING_FIELDS = ("backend", "batch_size", "max_turns", "max_new_tokens", "bf16_autocast")


@dataclass(frozen=True)
class PolicyChoice:
    """How the kept policies are compared: the held-out source tasks and the evaluation settings."""

    tasks: list  # toolenv tasks (stages/data.selection_tasks)
    eval: EvalConfig  # greedy single samples (selection_eval makes it from the run's eval settings)


def policy_choice(cfg: RunConfig, categories: list[str]) -> PolicyChoice | None:
    """The choice an RL run over `categories` makes (None without rl.select_every): the pipeline's rl stage and
    `toolpast rl` build it here, so that both choose on the same tasks with the same settings."""
    if not cfg.rl.select_every:
        return None
    return PolicyChoice(selection_tasks(cfg, categories), selection_eval(cfg.eval))


def selection_eval(cfg: EvalConfig) -> EvalConfig:
    """The run's evaluation settings for scoring a policy: one greedy sample, no knowledge probes, and a local
    backend (an OpenAI-compatible server serves one fixed model, not the policies of this stage)."""
    return cfg.model_copy(update={"samples": 1, "temperature": 0.0, "knowledge_probes": False, "variants": [],
                                  "backend": "hf" if cfg.backend == "openai" else cfg.backend})


def choose_policy(workdir: Path, choice: PolicyChoice, seed: int, dtype: str, title: str) -> dict:
    """Score every kept policy, make the best one `workdir/model`, drop the rest. Every rank calls this (the
    episodes are sharded); the returned record is main's (the others get {})."""
    workdir = Path(workdir)
    record_path = workdir / CHOICE_FILE
    recorded = distributed.on_main(lambda: json.loads(record_path.read_text()) if record_path.is_file() else None)
    if recorded is None:
        steps = distributed.on_main(lambda: kept_steps(workdir))
        if not steps:
            raise RuntimeError(f"no kept policy under {workdir / SNAPSHOTS}: the GRPO run kept none to choose from")
        scores = []
        for step in steps:
            where = workdir / "select" / f"step-{step:05d}"
            where.mkdir(parents=True, exist_ok=True)
            out = evaluate(snapshot_dir(workdir, step), choice.tasks, "closed", choice.eval,
                           StageContext(seed, dtype, where, f"{title}: score step {step}"))
            scores.append(out.get("successes"))
        if distributed.is_main():
            best = max(range(len(steps)), key=lambda i: (scores[i], steps[i]))
            recorded = {"steps": steps, "successes": scores, "tasks": len(choice.tasks),
                        "chosen_step": steps[best], "last_step": steps[-1]}
            atomic_write_text(record_path, json.dumps(recorded, indent=2))
    if distributed.is_main():
        _carry_out(workdir, recorded)
    distributed.barrier()
    return recorded if distributed.is_main() else {}


def chosen_step(rl_outputs: dict) -> int | None:
    """The step an `rl` stage's model comes from when a choice was made (None: the last step, no choice)."""
    return (rl_outputs.get("selection") or {}).get("chosen_step")


def _carry_out(workdir: Path, recorded: dict) -> None:
    """Move the chosen snapshot to model/ (the last step's policy already is model/) and drop the snapshots.
    Each move is a rename, so a kill leaves either the old or the new model/ and the choice is carried out again."""
    chosen = snapshot_dir(workdir, recorded["chosen_step"])
    if recorded["chosen_step"] != recorded["last_step"] and chosen.is_dir():
        model = workdir / "model"
        if model.exists():
            os.replace(model, workdir / SNAPSHOTS / ".last-policy")
        os.replace(chosen, model)
    shutil.rmtree(workdir / SNAPSHOTS, ignore_errors=True)
