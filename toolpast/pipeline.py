"""`toolpast run`: the PaST data flow of DESIGN.md section 3 as a short composition of cached stages.

warm-up (shared base) -> [K rounds: SFT on source docs part k -> GRPO on source tasks part k -> v_k = rl_k - sft_k]
                      -> SFT on target docs -> inject lambda * v_K (one per swept lambda) -> evaluate every variant.
Each stage is keyed by its config, its inputs' keys and the code it runs (never a time), so a rerun reuses what is
done, the same run in another home gets the same keys, `--force STAGE` rebuilds that stage (every build of it, e.g.
all rounds' `rl`) and so everything downstream of it (artifacts.py), and a killed stage resumes. The refinement
rounds are `refinement.py`; the evaluated variants `variants.py`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import toolenv
from toolpast import __version__, distributed
from toolpast.artifacts import Artifact, ArtifactStore, canonical_json, stage_key
from toolpast.codehash import code_digest, installed_index
from toolpast.config import RunConfig
from toolpast.evaluate import evaluate, metrics_and_outcomes
from toolpast.io import atomic_write_text
from toolpast.leaderboard.schema import Entry, Leaderboard, ModelIdentity, Provenance, Variant
from toolpast.models import resolve_model
from toolpast.models.identity import weights_sha256
from toolpast.progress import console
from toolpast.stages.data import (WHOLE, Part, category_tasks, check_validation_holdout, doc_pair_rows,
                                  knowledge_rows, suite_categories, suite_category, train_tasks, trajectory_rows,
                                  warmup_rows)
from toolpast.stages.rl import run_rl
from toolpast.stages.sft import run_sft
from toolpast.stages.training import check_launch

if TYPE_CHECKING:
    from toolpast.refinement import Round

STAGES = ("warmup", "sft_source", "rl", "vector", "sft_target", "inject", "orthogonality", "eval")
# Stages every rank of a multi-process run takes part in: the trainers (TRL takes the distributed setup from
# accelerate) and the evaluation (sharded over the ranks). The others run on main alone (see Runner).
COLLECTIVE = frozenset({"warmup", "sft_source", "sft_target", "rl", "eval"})
_SFT = ("toolpast.stages.sft", "toolpast.stages.data")
# The modules whose functions each stage's build function (in this file) calls. A stage's key hashes their import
# closure plus this file (codehash.py), so editing stages/rl.py rebuilds RL and what follows it, while editing an
# evaluation module keeps the trained models. A kind missing here (the QA suites') hashes the import closure of
# the module that defines its build function.
STAGE_CODE = {
    "warmup": _SFT, "sft_source": _SFT, "sft_target": _SFT,
    "rl": ("toolpast.stages.rl", "toolpast.stages.data"),
    "vector": ("toolpast.vectors.extract",),
    "inject": ("toolpast.vectors.inject",),
    "orthogonality": ("toolpast.analysis",),
    "eval": ("toolpast.evaluate", "toolpast.knowledge_probe", "toolpast.stages.data"),
}


def build_id(artifact: Artifact) -> str:
    """How a later stage's spec names this build: its key, a content address (the same inputs and code give the
    same id in every home). A rebuild under the same key is told apart by the store (Manifest.build)."""
    return artifact.key


def stage_code(kind: str, fn) -> str:
    """The digest of the code a stage of this kind runs when built by `fn` (see STAGE_CODE)."""
    index = installed_index()
    code = getattr(fn, "__code__", None)
    home = index.module_of(code.co_filename) if code is not None else None
    if kind in STAGE_CODE:
        return code_digest(STAGE_CODE[kind], (home,) if home else ())
    return code_digest((home,) if home else tuple(sorted(index.modules)))


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


class Runner:
    """Runs stages through the artifact store, reporting for each whether it was reused and how long it took.

    A forced stage is rebuilt once per run: a second request for the same key in the same run reuses that build.

    Under several processes (toolpast.distributed) only main calls the store: it decides reuse, takes the lock,
    clears stale partial work and writes the manifest. A COLLECTIVE stage's function then runs on every rank:
    main's function first tells the others the `.partial` directory (a broadcast that is also the barrier the
    others wait at), so no rank starts before main has prepared it. Any other stage runs on main alone. Either way
    main ends each stage by broadcasting the finished artifact, or its error, so the ranks never disagree on a
    reuse and never wait for a main that has failed.
    """

    def __init__(self, store: ArtifactStore, force: set[str]):
        self.store, self.force = store, force
        self.rebuilt: set[tuple[str, str]] = set()
        installed_index()  # read the code now: a run keys its stages by the code it started with

    def stage(self, name: str, spec: dict, fn) -> Artifact:
        kind = name.split(":")[0]
        spec = {**spec, "code": stage_code(kind, fn)}
        if not distributed.is_main():
            return self._follow(kind, fn)
        key = (kind, stage_key(kind, spec))
        started = time.time()

        def everyone(workdir: Path):
            distributed.broadcast(("run", str(workdir)))  # the others start fn on workdir only now
            outputs = fn(workdir)
            distributed.barrier()  # and have left it before the store moves it into place
            return outputs

        try:
            artifact, reused = self.store.run(kind, spec, everyone if kind in COLLECTIVE else fn,
                                              force=kind in self.force and key not in self.rebuilt)
        except BaseException as error:
            distributed.fail(error)
            raise
        distributed.broadcast(("ok", (str(artifact.path), reused)))
        if not reused:
            self.rebuilt.add(key)
        elapsed = time.time() - started
        verb = "[green]reused[/]" if reused else f"[yellow]built[/] in {elapsed:.0f}s"
        console.print(f"stage {name:<16} {verb}  {artifact.path}", soft_wrap=True)
        return artifact

    @staticmethod
    def _follow(kind: str, fn) -> Artifact:
        """A non-main rank's side of `stage`: run main's partial directory when told to, then read the artifact
        main finished (never the store's lock, never a write in the store)."""
        message = distributed.broadcast()
        if message[0] == "run":
            if kind not in COLLECTIVE:
                raise RuntimeError(f"main asked rank {distributed.rank()} to run main-only stage {kind}")
            fn(Path(message[1]))
            distributed.barrier()
            message = distributed.broadcast()
        path, _ = distributed.received(message)
        return Artifact(Path(path))


@dataclass(frozen=True)
class Model:
    """A checkpoint to start from or evaluate, with the reference that later stage keys record for it."""

    path: Path
    ref: str | dict  # a stage build id, or the spec of a model no stage built (the raw --model)


def _part_tag(part: Part) -> dict:
    """Extra spec keys of a refinement round; none for the whole data, so K = 1 keys stay what they were."""
    return {} if part == WHOLE else {"round": part[0], "rounds": part[1]}


def _part_title(what: str, categories: list[str], part: Part) -> str:
    return f"{what} {'+'.join(categories)}" + ("" if part == WHOLE else f" part {part[0]}/{part[1]}")


class Stages:
    """The stage builders of one run: each keys its artifact by its config and its inputs' build ids."""

    def __init__(self, cfg: RunConfig, runner: Runner, base: Model):
        self.cfg, self.runner, self.base = cfg, runner, base
        self.common = {"world_seed": cfg.world_seed, "seed": cfg.seed, "dtype": cfg.dtype}
        # native runs without options keep the keys they always had
        default_suite = cfg.suite == "native" and not cfg.suite_options
        self.suite = {} if default_suite else {"suite": cfg.suite, "suite_options": cfg.suite_options}

    def for_target(self, target: str) -> Stages:
        """The same stages (runner, base model, keys) for another target category, as a sweep needs."""
        return Stages(self.cfg.model_copy(update={"target": target}), self.runner, self.base)

    @staticmethod
    def model_of(artifact: Artifact) -> Model:
        return Model(artifact.path / "model", build_id(artifact))

    def knowledge_sft(self, name: str, categories: list[str], start: Model, part: Part = WHOLE) -> Artifact:
        """SFT of `start` on the categories' knowledge: the docs corpus (sft.data = docs), or the two-stage
        protocol (docs as prompt/response pairs, then the categories' train trajectories from that checkpoint)."""
        cfg = self.cfg
        spec = {**self.common, **self.suite, "start": start.ref, "categories": categories, **_part_tag(part),
                "sft": cfg.sft.model_dump()}
        if cfg.sft.data == "docs":
            title = _part_title("SFT docs", categories, part)
            return self.runner.stage(name, spec, lambda w: run_sft(start.path, knowledge_rows(categories, cfg, part),
                                                                   cfg.sft, w, cfg.seed, cfg.dtype, title))
        docs = self.runner.stage(name, spec, lambda w: run_sft(
            start.path, doc_pair_rows(categories, cfg, part), cfg.sft, w, cfg.seed, cfg.dtype,
            _part_title("SFT 1/2 doc pairs", categories, part)))
        spec = {**self.common, **self.suite, "start": build_id(docs), "categories": categories, **_part_tag(part),
                "trajectories": cfg.sft.trajectories.model_dump(), "repeats": cfg.sft.repeats}
        return self.runner.stage(f"{name}:trajectories", spec, lambda w: run_sft(
            docs.path / "model", trajectory_rows(categories, cfg, part), cfg.sft.trajectories, w, cfg.seed,
            cfg.dtype, _part_title("SFT 2/2 trajectories", categories, part)))

    def rl(self, name: str, categories: list[str], start: Model, part: Part = WHOLE) -> Artifact:
        """GRPO on the categories' train tasks (never their test split)."""
        cfg = self.cfg
        spec = {**self.common, **self.suite, "start": start.ref, "categories": categories, **_part_tag(part),
                "rl": cfg.rl.model_dump()}
        title = _part_title("GRPO", categories, part)
        return self.runner.stage(name, spec, lambda w: run_rl(start.path, train_tasks(cfg, categories, part),
                                                              cfg.rl, w, cfg.seed, cfg.dtype, title))

    def vector(self, name: str, rl: Artifact, sft: Artifact) -> Artifact:
        from toolpast.vector_check import check_vector_stage

        vector = self.runner.stage(name, {"rl": build_id(rl), "sft": build_id(sft)},
                                   lambda w: _extract(rl.path / "model", sft.path / "model", w))
        check_vector_stage(vector, self.cfg.min_vector_kept)  # a mostly-zero vector would make PaST = SFT
        return vector

    def inject(self, name: str, model: Model, vector: Artifact, lam: float) -> Artifact:
        from toolpast.vector_check import check_injection_stage

        injected = self.runner.stage(name, {"model": model.ref, "vector": build_id(vector), "lam": lam},
                                     lambda w: _inject(model.path, vector.path / "vector", lam, w))
        check_injection_stage(injected, self.cfg.min_vector_kept)  # lam * v rounded away by the target's dtype
        return injected

    def evaluate(self, label: str, model: Model, category: str, book: str) -> Artifact:
        """Episodes of `model` on the category's evaluation tasks, plus the knowledge probes (closed book)."""
        cfg = self.cfg
        spec = {**self.common, **self.suite, "model": model.ref, "category": category, "book": book,
                "eval": cfg.eval.model_dump(exclude={"variants"})}
        return self.runner.stage(f"eval:{label}", spec,
                                 lambda w: _evaluate(cfg, model.path, category, book, w, f"eval {label} on {category}"))

    def entry(self, variant: Variant, model: Model, category: str, book: str, result: Artifact,
              command: str) -> Entry:
        # main hashes the weights (caching the digest beside them); every rank gets the same entry
        return distributed.on_main(lambda: _entry(self.cfg, variant, model.path, category, book, result, command))


def check_config(cfg: RunConfig, force: set[str] = frozenset(), libraries: bool = True) -> None:
    """Everything that can be refused before the first stage runs (a late error would cost the stages before it).
    libraries=False skips the installed-library check (a --dry-run plans a GPU run on a machine without vLLM)."""
    from toolpast.batching import check_step_splits
    from toolpast.refinement import check_parts
    from toolpast.variants import sweep

    check_categories(cfg)
    check_launch(cfg)  # a launch whose saved models would be wrong
    if cfg.suite != "native" and cfg.sft.data == "docs+trajectories":
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
        raise ValueError(f"{what} needs vLLM, which is not installed: pip install -e '.[vllm]' (GPU only)")
    lora = [name for name in ("warmup", "sft", "rl") if getattr(cfg, name).lora_rank > 0]
    if cfg.sft.data == "docs+trajectories" and cfg.sft.trajectories.lora_rank > 0:
        lora.append("sft.trajectories")
    if lora and find_spec("peft") is None:
        raise ValueError(f"lora_rank > 0 ({', '.join(lora)}) needs peft, which is not installed: pip install peft")


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


def prepare(cfg: RunConfig, force: set[str] = frozenset(), store: ArtifactStore | None = None) -> Stages:
    """Validate the whole config, then build (or reuse) the shared base model."""
    check_config(cfg, force)
    if distributed.active() and distributed.is_main():  # e.g. `accelerate launch --cpu` starts only one
        console.print(f"{distributed.world_size()} processes: main builds and writes, all train and evaluate")
    runner = Runner(store or ArtifactStore(), set(force))
    # main builds or converts the model into the cache and hashes it (writing the digest beside it); the others
    # take its answer
    base_dir, digest = distributed.on_main(lambda: _base_model(cfg.model))
    start_spec = {"model": cfg.model, "weights_sha256": digest}
    stages = Stages(cfg, runner, Model(base_dir, start_spec))
    if cfg.warmup.enabled:
        warm = runner.stage("warmup", {**stages.common, "start": start_spec, "warmup": cfg.warmup.model_dump()},
                            lambda w: run_sft(base_dir, warmup_rows(cfg), cfg.warmup, w, cfg.seed, cfg.dtype,
                                              "warm-up (protocol)"))
        stages.base = Model(warm.path / "model", {"warmup": build_id(warm)})
    return stages


def _base_model(spec: str) -> tuple[Path, str]:
    path = resolve_model(spec)
    return path, weights_sha256(path)


def evaluate_target(stages: Stages, rounds: list[Round], command: str,
                    sft_target: Artifact | None = None) -> list[Entry]:
    """Target SFT, the requested variants built from it, and their evaluations on the target's tasks."""
    from toolpast.variants import variant_models

    cfg = stages.cfg

    @functools.cache
    def target_sft() -> Artifact:  # built on first use: base / open_book alone never need it
        return sft_target or stages.knowledge_sft("sft_target", [cfg.target], stages.base)

    entries = []
    for name in cfg.eval.variants:
        for candidate in variant_models(name, stages, rounds, target_sft):
            result = stages.evaluate(candidate.label, candidate.model, cfg.target, candidate.book)
            # The variant (lambda, vector, rounds) is the candidate's: a sweep has several past entries.
            entries.append(stages.entry(candidate.variant, candidate.model, cfg.target, candidate.book, result,
                                        command))
    return entries


def run_pipeline(cfg: RunConfig, force: set[str] = frozenset(), export: Path | None = None,
                 command: str = "toolpast run", store: ArtifactStore | None = None) -> tuple[Leaderboard, Path]:
    from toolpast.refinement import refine

    out = export or Path("leaderboards") / f"{cfg.suite}_{cfg.target}_{cfg.preset}.json"
    check_export(out)
    stages = prepare(cfg, force, store)
    base = stages.base
    rounds = refine(stages)
    last = rounds[-1]
    sft_target = stages.knowledge_sft("sft_target", [cfg.target], base)
    geometry = stages.runner.stage("orthogonality", {"base": base.ref, "sft": build_id(last.sft),
                                                     "rl": build_id(last.rl), "control": build_id(sft_target)},
                                   lambda w: _orthogonality(base.path, last.sft.path / "model",
                                                            last.rl.path / "model", sft_target.path / "model", w))
    cos = {k: "n/a" if v is None else f"{v:+.4f}" for k, v in geometry.outputs.items()}
    if distributed.is_main():
        console.print(f"cos(dSFT source, dRL) = {cos['cos_sft_rl']}; cos(dSFT source, dSFT target) = "
                      f"{cos['cos_sft_control']}  (per layer and module: {geometry.path}/orthogonality.png)")
    board = Leaderboard(entries=evaluate_target(stages, rounds, command, sft_target))
    # every rank holds the same board; main writes it, and the others leave once it is written
    distributed.on_main(lambda: atomic_write_text(out, board.model_dump_json(indent=2) + "\n"))
    return board, out


def _extract(rl_model: Path, sft_model: Path, workdir: Path) -> dict:
    from toolpast.vector_check import ZeroCount, count_zeros
    from toolpast.vectors import extract_skill_vector

    manifest = extract_skill_vector(rl_model, sft_model, workdir / "vector", overwrite=True)
    entries = manifest.tensors.values()
    if all(e.zeros is not None for e in entries):  # counted by the extraction as it wrote v
        count = ZeroCount(sum(math.prod(e.shape) for e in entries), sum(e.zeros for e in entries))
    else:  # a LoRA-derived vector: count from its shards
        count = count_zeros(workdir / "vector")
    return {"total_l2_norm": manifest.total_l2_norm, "tensors": len(manifest.tensors), "entries": count.entries,
            "zeros": count.zeros}


def _inject(model: Path, vector: Path, lam: float, workdir: Path) -> dict:
    from toolpast.vectors import inject_skill_vector

    # digest_output: the injected model's identity (its leaderboard entries need it) is hashed as it is written,
    # on its own thread, and recorded beside it, instead of being read back and hashed after the evaluation
    report = inject_skill_vector(model, vector, lam, workdir / "model", overwrite=True, digest_output=True)
    return {"surviving_fraction": report.surviving_fraction, "worst_tensor": report.worst_tensor,
            "worst_surviving_fraction": report.worst_surviving_fraction, "lam": lam}


def _orthogonality(base: Path, sft: Path, rl: Path, control_sft: Path, workdir: Path) -> dict:
    """PaST's premise, measured on this run: cos(dSFT_source, dRL) should be ~0, cos(dSFT_source, dSFT_target) > 0."""
    from toolpast.analysis import analyze_orthogonality

    overall = analyze_orthogonality(base, sft, rl, workdir, control_sft_dir=control_sft).overall
    return {"cos_sft_rl": overall.cos_sft_rl, "cos_sft_control": overall.cos_sft_control}


def _evaluate(cfg: RunConfig, model_dir: Path, category: str, book: str, workdir: Path, title: str) -> dict:
    outputs = evaluate(model_dir, category_tasks(cfg, category), book, cfg.eval, cfg.seed, cfg.dtype, workdir, title)
    if not distributed.is_main():  # the episodes were sharded; main alone probes, and its outputs are the stage's
        return outputs
    if cfg.eval.knowledge_probes and book == "closed" and cfg.suite == "native":
        from toolpast.knowledge_probe import probe_accuracy

        probes = suite_category(cfg, category).knowledge_probes()
        found = probe_accuracy(model_dir, probes, dtype=cfg.dtype, seed=cfg.seed, workdir=workdir,
                               bf16_autocast=cfg.eval.bf16_autocast)
        outputs.update(knowledge_accuracy=found["knowledge_accuracy"], knowledge_n=found["knowledge_n"])
    return outputs


def _entry(cfg: RunConfig, variant: Variant, model_dir: Path, category: str, book: str, result: Artifact,
           command: str) -> Entry:
    # The evaluation's own manifest says which code and packages produced the numbers (it may be a reused build).
    made = result.manifest
    finished = dt.datetime.fromisoformat(made.started_at) + dt.timedelta(seconds=made.wall_time_s)
    provenance = Provenance(
        toolpast_version=made.packages.get("toolpast", __version__), git_commit=made.git_commit, command=command,
        preset=cfg.preset, config_hash=hashlib.sha256(canonical_json(cfg.model_dump()).encode()).hexdigest()[:16],
        seeds={"seed": cfg.seed, "world_seed": cfg.world_seed}, backend=cfg.eval.backend,
        date=finished.isoformat(timespec="seconds"), packages=made.packages)
    metrics, outcomes = metrics_and_outcomes(result.outputs)
    return Entry(model=ModelIdentity(name=cfg.model, weights_sha256=weights_sha256(model_dir)), variant=variant,
                 suite=cfg.suite, category=category, book=book, split=cfg.eval.split, sft_data=cfg.sft.data,
                 metrics=metrics, provenance=provenance, outcomes=outcomes)
