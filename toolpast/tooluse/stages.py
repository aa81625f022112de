"""The tool-use run's stage builders: each keys its artifact by its config and its inputs' build ids.

Every build function of the tool-use stages is defined here (those of the skill-vector stages, which every suite
shares, in stages/skill_stages.py), so a stage's key hashes this file plus the import closure of its STAGE_CODE
modules (stages/runner.py). The order the stages run in is pipeline.py (one target),
refinement.py (the K source rounds), variants.py (the evaluated models) and sweep.py (many targets).
"""

from __future__ import annotations

from pathlib import Path

from toolenv.suites import SUITES
from toolpast import distributed
from toolpast.artifacts import Artifact
from toolpast.config import TrainConfig
from toolpast.stages.context import StageContext
from toolpast.stages.model_ref import Model
from toolpast.stages.plan import PlannedStage
from toolpast.stages.runner import Runner, build_id
from toolpast.stages.sft import run_sft
from toolpast.stages.skill_stages import inject_stage, sparsify_stage, vector_stage
from toolpast.tooluse.config import RunConfig
from toolpast.tooluse.data import (
    WHOLE,
    Part,
    category_tasks,
    knowledge_protocol,
    suite_category,
    train_tasks,
    warmup_rows,
)
from toolpast.tooluse.evaluate import evaluate
from toolpast.tooluse.rl import run_rl
from toolpast.tooluse.select import SCORING_FIELDS, policy_choice

_SFT = ("toolpast.stages.sft", "toolpast.tooluse.data")
# The modules whose functions each tool-use stage's build function calls. A stage's key hashes their import
# closure plus the module that defines its build function (this file; stages/skill_stages.py for vector and
# inject; see stages.runner.stage_code and codehash.py), so editing tooluse/rl.py rebuilds RL and what follows it,
# while editing an evaluation module keeps the trained models.
STAGE_CODE = {
    "warmup": _SFT, "sft_source": _SFT, "sft_target": _SFT,
    "rl": ("toolpast.tooluse.rl", "toolpast.tooluse.data"),
    "vector": ("toolpast.stages.skill",),
    "sparsify": ("toolpast.stages.skill",),
    "inject": ("toolpast.stages.skill",),
    "orthogonality": ("toolpast.analysis",),
    "eval": ("toolpast.tooluse.evaluate", "toolpast.tooluse.knowledge_probe", "toolpast.tooluse.data"),
}
# The stages every rank of a multi-process run takes part in: the trainers (TRL takes the distributed setup from
# accelerate) and the evaluation (sharded over the ranks). The others run on main alone (stages.runner.Runner).
COLLECTIVE = frozenset({"warmup", "sft_source", "sft_target", "rl", "eval"})
# Every stage kind of a tool-use run, in the order a run builds them: what `--force` takes.
STAGE_KINDS = ("warmup", "sft_source", "rl", "vector", "sparsify", "sft_target", "inject", "orthogonality", "eval")


def tool_use_runner(store, force: set[str]) -> Runner:
    """The stage runner of a tool-use run or sweep: keys hash the code in STAGE_CODE, COLLECTIVE kinds run on
    every rank."""
    return Runner(store, force, code=STAGE_CODE, collective=COLLECTIVE)


def _part_tag(part: Part) -> dict:
    """Extra spec keys of a refinement round; none for the whole data, so K = 1 keys stay what they were."""
    return {} if part == WHOLE else {"round": part[0], "rounds": part[1]}


def _part_title(what: str, categories: list[str], part: Part) -> str:
    return f"{what} {'+'.join(categories)}" + ("" if part == WHOLE else f" part {part[0]}/{part[1]}")


def _where(categories: list[str], part: Part) -> str:
    """The data a stage draws from, as a plan names it: "movies" or "movies, part 1/2"."""
    return ", ".join([" + ".join(categories), "" if part == WHOLE else f"part {part[0]}/{part[1]}"]).strip(", ")


def _training(name: str, what: str, rows: int, settings: TrainConfig, where: str) -> PlannedStage:
    return PlannedStage(name, f"{rows} {what} ({where})", rows, settings.steps, settings.batch_size)


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

    def warmup(self) -> Model:
        """SFT of the base on the warm-up protocol (never the source or target categories): the shared start."""
        cfg, base = self.cfg, self.base
        warm = self.runner.stage("warmup", {**self.common, "start": base.ref, "warmup": cfg.warmup.model_dump()},
                                 lambda w: run_sft(base.path, warmup_rows(cfg), cfg.warmup, w, cfg.seed, cfg.dtype,
                                                   "warm-up (protocol)"),
                                 about=lambda: _training("warmup", "protocol trajectories", len(warmup_rows(cfg)),
                                                         cfg.warmup, " + ".join(cfg.warmup.categories)))
        return Model(warm.path / "model", {"warmup": build_id(warm)})

    def knowledge_sft(self, name: str, categories: list[str], start: Model, part: Part = WHOLE) -> Artifact:
        """SFT of `start` on the categories' knowledge: the docs corpus (sft.data = docs), or the two-stage
        protocol (docs as prompt/response pairs, then the categories' train trajectories from that checkpoint)."""
        cfg = self.cfg
        first, *rest = knowledge_protocol(categories, cfg, part)
        spec = {**self.common, **self.suite, "start": start.ref, "categories": categories, **_part_tag(part),
                "sft": cfg.sft.model_dump()}
        where = _where(categories, part)
        built = self.runner.stage(name, spec, lambda w: run_sft(start.path, first.rows(), first.settings, w, cfg.seed,
                                                                cfg.dtype, _part_title(first.what, categories, part)),
                                  about=lambda: _training(name, first.noun, len(first.rows()), first.settings, where))
        if not rest:
            return built
        (second,) = rest
        spec = {**self.common, **self.suite, "start": build_id(built), "categories": categories, **_part_tag(part),
                "trajectories": cfg.sft.trajectories.model_dump(), "repeats": cfg.sft.repeats}
        return self.runner.stage(name + second.suffix, spec, lambda w: run_sft(
            built.path / "model", second.rows(), second.settings, w, cfg.seed, cfg.dtype,
            _part_title(second.what, categories, part)),
            about=lambda: _training(name + second.suffix, second.noun, len(second.rows()), second.settings, where))

    def rl(self, name: str, categories: list[str], start: Model, part: Part = WHOLE) -> Artifact:
        """GRPO on the categories' train tasks (never their test split)."""
        cfg = self.cfg
        spec = {**self.common, **self.suite, "start": start.ref, "categories": categories, **_part_tag(part),
                "rl": cfg.rl.model_dump()}
        choice = policy_choice(cfg, categories)  # with rl.select_every: chosen on held-out source tasks
        if choice is not None:
            spec["select"] = {"eval": choice.eval.model_dump(include=set(SCORING_FIELDS)),
                              "validation_tasks": cfg.validation_tasks}
        title, rl = _part_title("GRPO", categories, part), cfg.rl

        def about() -> PlannedStage:
            tasks = len(train_tasks(cfg, categories, part))
            return PlannedStage(name, f"{tasks} tasks ({_where(categories, part)}), {rl.prompts_per_step} x "
                                      f"{rl.num_generations} episodes/step, {rl.max_turns} turns",
                                tasks, rl.steps, rl.prompts_per_step)

        return self.runner.stage(name, spec, lambda w: run_rl(start.path, train_tasks(cfg, categories, part),
                                                              cfg.rl, w, cfg.seed, cfg.dtype, title, choice=choice),
                                 about=about)

    def vector(self, name: str, rl: Artifact, sft: Artifact) -> Artifact:
        return vector_stage(self.runner, name, rl, sft, self.cfg.min_vector_kept)

    def sparsify(self, name: str, vector: Artifact, keep: float) -> Artifact:
        return sparsify_stage(self.runner, name, vector, keep)

    def inject(self, name: str, model: Model, vector: Artifact, lam: float, what: str = "model") -> Artifact:
        """model + lam * v (`what` names the model in a plan)."""
        return inject_stage(self.runner, name, model, vector, lam, self.cfg.min_vector_kept, what)

    def orthogonality(self, sft: Artifact, rl: Artifact, control: Artifact) -> Artifact:
        """PaST's premise, measured on this run: cos(dSFT_source, dRL) ~ 0, cos(dSFT_source, dSFT_target) > 0."""
        base = self.base
        return self.runner.stage("orthogonality", {"base": base.ref, "sft": build_id(sft), "rl": build_id(rl),
                                                   "control": build_id(control)},
                                 lambda w: _orthogonality(base.path, sft.path / "model", rl.path / "model",
                                                          control.path / "model", w),
                                 about=lambda: PlannedStage("orthogonality",
                                                            "cos(dSFT, dRL), cos(dSFT source, dSFT target)"))

    def evaluate(self, label: str, model: Model, category: str, book: str) -> Artifact:
        """Episodes of `model` on the category's evaluation tasks, plus the knowledge probes (closed book)."""
        cfg = self.cfg
        spec = {**self.common, **self.suite, "model": model.ref, "category": category, "book": book,
                "eval": cfg.eval.model_dump(exclude={"variants"})}
        ev = cfg.eval

        def about() -> PlannedStage:
            tasks = len(category_tasks(cfg, category))
            return PlannedStage("eval", f"{tasks} {ev.split} tasks of {category} x {ev.samples} "
                                        f"sample{'s' if ev.samples > 1 else ''}, {ev.max_turns} turns"
                                        + (" (docs in the prompt)" if book == "open" else ""))

        return self.runner.stage(f"eval:{label}", spec,
                                 lambda w: _evaluate(cfg, model.path, category, book, w, f"eval {label} on {category}"),
                                 about=about)


def _orthogonality(base: Path, sft: Path, rl: Path, control_sft: Path, workdir: Path) -> dict:
    from toolpast.analysis import analyze_orthogonality

    overall = analyze_orthogonality(base, sft, rl, workdir, control_sft_dir=control_sft).overall
    return {"cos_sft_rl": overall.cos_sft_rl, "cos_sft_control": overall.cos_sft_control}


def _evaluate(cfg: RunConfig, model_dir: Path, category: str, book: str, workdir: Path, title: str) -> dict:
    outputs = evaluate(model_dir, category_tasks(cfg, category), book, cfg.eval,
                       StageContext(cfg.seed, cfg.dtype, workdir, title))
    if not distributed.is_main():  # the episodes were sharded; main alone probes, and its outputs are the stage's
        return outputs
    if cfg.eval.knowledge_probes and book == "closed" and SUITES[cfg.suite].probes:
        from toolpast.tooluse.knowledge_probe import probe_accuracy

        probes = suite_category(cfg, category).knowledge_probes()
        found = probe_accuracy(model_dir, probes, dtype=cfg.dtype, seed=cfg.seed, workdir=workdir,
                               bf16_autocast=cfg.eval.bf16_autocast)
        outputs.update(knowledge_accuracy=found["knowledge_accuracy"], knowledge_n=found["knowledge_n"])
    return outputs
