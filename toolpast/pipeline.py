"""`toolpast run`: the PaST data flow of DESIGN.md section 3 as a short composition of cached stages.

warm-up (shared base) -> SFT on source docs -> GRPO on source tasks -> v = rl - sft
                      -> SFT on target docs -> inject lambda * v -> evaluate every variant zero-shot.
Each stage is keyed by its config and by the exact builds of its inputs, so a rerun reuses what is done,
`--force STAGE` rebuilds that stage (and so everything downstream of it), and a killed stage resumes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from pathlib import Path

import toolenv
from toolpast import __version__
from toolpast.artifacts import Artifact, ArtifactStore, canonical_json
from toolpast.config import RunConfig
from toolpast.evaluate import evaluate
from toolpast.io import atomic_write_text
from toolpast.leaderboard.schema import Entry, Leaderboard, Metrics, ModelIdentity, Provenance, Variant
from toolpast.models import resolve_model
from toolpast.models.identity import weights_sha256
from toolpast.progress import console
from toolpast.stages.data import eval_tasks, knowledge_rows, rl_tasks, suite_categories, warmup_rows
from toolpast.stages.rl import run_rl
from toolpast.stages.sft import run_sft

STAGES = ("warmup", "sft_source", "rl", "vector", "sft_target", "inject", "orthogonality", "eval")


def build_id(artifact: Artifact) -> str:
    """Identity of one build of a stage: reruns of the same key (after --force) get a new id."""
    return f"{artifact.key}@{artifact.manifest.started_at}"


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
    """Runs stages through the artifact store, reporting for each whether it was reused and how long it took."""

    def __init__(self, store: ArtifactStore, force: set[str]):
        self.store, self.force = store, force

    def stage(self, name: str, spec: dict, fn) -> Artifact:
        started = time.time()
        artifact, reused = self.store.run(name.split(":")[0], spec, fn, force=name.split(":")[0] in self.force)
        elapsed = time.time() - started
        verb = "[green]reused[/]" if reused else f"[yellow]built[/] in {elapsed:.0f}s"
        console.print(f"stage {name:<16} {verb}  {artifact.path}", soft_wrap=True)
        return artifact


def run_pipeline(cfg: RunConfig, force: set[str] = frozenset(), export: Path | None = None,
                 command: str = "toolpast run", store: ArtifactStore | None = None) -> tuple[Leaderboard, Path]:
    check_categories(cfg)
    unknown = set(force) - set(STAGES)
    if unknown:
        raise ValueError(f"--force takes stage names {list(STAGES)}, got {sorted(unknown)}")
    runner = Runner(store or ArtifactStore(), set(force))
    base_dir = resolve_model(cfg.model)
    common = {"world_seed": cfg.world_seed, "seed": cfg.seed, "dtype": cfg.dtype}
    # native runs without options keep the keys they always had
    default_suite = cfg.suite == "native" and not cfg.suite_options
    suite = {} if default_suite else {"suite": cfg.suite, "suite_options": cfg.suite_options}
    start_spec = {"model": cfg.model, "weights_sha256": weights_sha256(base_dir)}

    if cfg.warmup.enabled:
        warm = runner.stage("warmup", {**common, "start": start_spec, "warmup": cfg.warmup.model_dump()},
                            lambda w: run_sft(base_dir, warmup_rows(cfg), cfg.warmup, w, cfg.seed, cfg.dtype,
                                              "warm-up (protocol)"))
        base_model, base_ref = warm.path / "model", {"warmup": build_id(warm)}
    else:
        base_model, base_ref = base_dir, start_spec

    def knowledge_sft(name: str, categories: list[str]) -> Artifact:
        spec = {**common, **suite, "start": base_ref, "categories": categories, "sft": cfg.sft.model_dump()}
        return runner.stage(name, spec, lambda w: run_sft(base_model, knowledge_rows(categories, cfg), cfg.sft, w,
                                                          cfg.seed, cfg.dtype, f"SFT docs {'+'.join(categories)}"))

    sft_source = knowledge_sft("sft_source", cfg.source)
    rl = runner.stage("rl", {**common, **suite, "start": build_id(sft_source), "categories": cfg.source,
                             "rl": cfg.rl.model_dump()},
                      lambda w: run_rl(sft_source.path / "model", rl_tasks(cfg), cfg.rl, w, cfg.seed, cfg.dtype,
                                       f"GRPO {'+'.join(cfg.source)}"))
    vector = runner.stage("vector", {"rl": build_id(rl), "sft": build_id(sft_source)},
                          lambda w: _extract(rl.path / "model", sft_source.path / "model", w))
    sft_target = knowledge_sft("sft_target", [cfg.target])
    past = runner.stage("inject", {"model": build_id(sft_target), "vector": build_id(vector), "lam": cfg.lam},
                        lambda w: _inject(sft_target.path / "model", vector.path / "vector", cfg.lam, w))

    geometry = runner.stage("orthogonality", {"base": base_ref, "sft": build_id(sft_source), "rl": build_id(rl),
                                              "control": build_id(sft_target)},
                            lambda w: _orthogonality(base_model, sft_source.path / "model", rl.path / "model",
                                                     sft_target.path / "model", w))
    cos = {k: "n/a" if v is None else f"{v:+.4f}" for k, v in geometry.outputs.items()}
    console.print(f"cos(dSFT source, dRL) = {cos['cos_sft_rl']}; cos(dSFT source, dSFT target) = "
                  f"{cos['cos_sft_control']}  (per layer and module: {geometry.path}/orthogonality.png)")

    variants = {"base": (base_model, base_ref, "closed"),
                "sft": (sft_target.path / "model", build_id(sft_target), "closed"),
                "past": (past.path / "model", build_id(past), "closed"),
                "open_book": (base_model, base_ref, "open")}
    tasks = eval_tasks(cfg)
    entries = []
    for name in cfg.eval.variants:
        model_dir, ref, book = variants[name]
        result = runner.stage(f"eval:{name}", {**common, **suite, "model": ref, "category": cfg.target, "book": book,
                                                "eval": cfg.eval.model_dump(exclude={"variants"})},
                              lambda w: evaluate(model_dir, tasks, book, cfg.eval, cfg.seed, cfg.dtype, w,
                                                 f"eval {name} on {cfg.target}"))
        entries.append(_entry(cfg, name, model_dir, book, result, vector, command))
    board = Leaderboard(entries=entries)
    out = export or Path("leaderboards") / f"{cfg.suite}_{cfg.target}_{cfg.preset}.json"
    atomic_write_text(out, board.model_dump_json(indent=2) + "\n")
    return board, out


def _extract(rl_model: Path, sft_model: Path, workdir: Path) -> dict:
    from toolpast.vectors import extract_skill_vector

    manifest = extract_skill_vector(rl_model, sft_model, workdir / "vector", overwrite=True)
    return {"total_l2_norm": manifest.total_l2_norm, "tensors": len(manifest.tensors)}


def _inject(model: Path, vector: Path, lam: float, workdir: Path) -> dict:
    from toolpast.vectors import inject_skill_vector

    report = inject_skill_vector(model, vector, lam, workdir / "model", overwrite=True)
    return {"surviving_fraction": report.surviving_fraction, "worst_tensor": report.worst_tensor,
            "worst_surviving_fraction": report.worst_surviving_fraction, "lam": lam}


def _orthogonality(base: Path, sft: Path, rl: Path, control_sft: Path, workdir: Path) -> dict:
    """PaST's premise, measured on this run: cos(dSFT_source, dRL) should be ~0, cos(dSFT_source, dSFT_target) > 0."""
    from toolpast.analysis import analyze_orthogonality

    overall = analyze_orthogonality(base, sft, rl, workdir, control_sft_dir=control_sft).overall
    return {"cos_sft_rl": overall.cos_sft_rl, "cos_sft_control": overall.cos_sft_control}


def _entry(cfg: RunConfig, name: str, model_dir: Path, book: str, result: Artifact, vector: Artifact,
           command: str) -> Entry:
    variant = Variant(name=name, lam=cfg.lam if name == "past" else None,
                      vector_id=vector.key if name == "past" else None,
                      source_categories=list(cfg.source) if name == "past" else [])
    # The evaluation's own manifest says which code and packages produced the numbers (it may be a reused build).
    made = result.manifest
    finished = dt.datetime.fromisoformat(made.started_at) + dt.timedelta(seconds=made.wall_time_s)
    provenance = Provenance(
        toolpast_version=made.packages.get("toolpast", __version__), git_commit=made.git_commit, command=command,
        preset=cfg.preset, config_hash=hashlib.sha256(canonical_json(cfg.model_dump()).encode()).hexdigest()[:16],
        seeds={"seed": cfg.seed, "world_seed": cfg.world_seed}, backend=cfg.eval.backend,
        date=finished.isoformat(timespec="seconds"), packages=made.packages)
    return Entry(model=ModelIdentity(name=cfg.model, weights_sha256=weights_sha256(model_dir)), variant=variant,
                 suite=cfg.suite, category=cfg.target, book=book, metrics=Metrics(**result.outputs),
                 provenance=provenance)
