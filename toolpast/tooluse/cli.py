"""The tool-use suite's commands of `toolpast`: the whole pipeline (`run`), the transfer table (`sweep`), each stage
on its own (`sft`, `rl`, `skill extract/inject`, `eval`), and the suite's tasks (`feasibility`, `categories`).
toolpast/cli.py asks `register` and `register_tasks` to add them."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from toolenv.suites import SUITES
from toolpast import distributed, subcommands
from toolpast.io import staged_dir
from toolpast.output_lock import exclusive_output
from toolpast.overrides import add_config_options, apply_overrides, flag_sets, settings_epilog
from toolpast.presets import names as preset_names
from toolpast.tooluse.config import RunConfig
from toolpast.tooluse.presets import get_preset

FLAG_PATHS = {"model": "model", "seed": "seed", "lam": "lam", "suite": "suite", "refine_rounds": "refine_rounds",
              "lam_sweep": "lam_sweep", "allow_infeasible": "allow_infeasible"}  # flags that are --set written short


def _config(args) -> RunConfig:
    cfg = get_preset(args.preset)
    sets = [*(args.set or []), *flag_sets(args, FLAG_PATHS, as_json=("lam_sweep",))]
    if getattr(args, "variants", None) is not None:
        variants = [v.strip() for v in args.variants.split(",") if v.strip()]
        if not variants:
            raise ValueError(f"--variants {args.variants!r} names no variant: give e.g. base,sft,past")
        sets.append(f"eval.variants={json.dumps(variants)}")
    if getattr(args, "category", None):
        sets.append(f"target={args.category.lower()}")
    if getattr(args, "source", None):
        sets.append(f"source={','.join(s.lower() for s in args.source)},")
    cfg = apply_overrides(cfg, sets)
    if not SUITES[cfg.suite].trajectories and cfg.sft.data == "docs+trajectories" and not any(
            s.startswith("sft.data=") for s in sets):
        # StableToolBench holds test queries only: no training trajectories for stage 2, so it stays docs-only
        # (and the docs protocol needs the protocol warm-up).
        print(f"toolpast: note: suite {cfg.suite} has no training trajectories; using sft.data=docs with the "
              "protocol warm-up", file=sys.stderr)
        cfg = apply_overrides(cfg, ["sft.data=docs", "warmup.enabled=true"])
    return cfg


def _float_list(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers such as 0.25,0.5,1, got {text!r}") from None


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    add_config_options(parser, RunConfig, preset_names("tool-use"), "smoke (tiny random model, ~1 min), cpu "
                       "(SmolLM2-135M on a laptop, default), paper (Qwen2.5-7B + vLLM on GPUs).")
    parser.add_argument("--suite", choices=list(SUITES),
                        help="Task suite of the categories: toolenv's native worlds (default) or the real "
                             "StableToolBench queries and API docs from ../shared/data/stabletoolbench.")
    parser.add_argument("--allow-infeasible", action="store_true", default=None,
                        help=RunConfig.model_fields["allow_infeasible"].description)


def _add_pipeline_options(parser: argparse.ArgumentParser) -> None:
    """What the commands that run the whole pipeline (run, sweep) share: how the skill vector is learned and
    scaled, --dry-run, and the config options."""
    parser.add_argument("--source", nargs="+", help="RL source categories (default: movies).")
    parser.add_argument("--lam", type=float, help="Skill vector scale lambda (default 1.0, the paper's).")
    parser.add_argument("--refine-rounds", type=int, metavar="K",
                        help="Iterative skill refinement over K disjoint parts of the source data (paper: 2).")
    parser.add_argument("--dry-run", action="store_true",
                        help="Validate the config (a sweep: every target's), print the stage plan and the per-GPU "
                             "memory plan (1 and 8 GPUs), build nothing.")
    _add_config_options(parser)


def cmd_run(args) -> int:
    from toolpast.leaderboard.table import render_leaderboard
    from toolpast.progress import console
    from toolpast.tooluse.pipeline import run_pipeline

    cfg = _config(args)
    if args.dry_run:
        from toolpast.tooluse.dry_run import dry_run

        print(dry_run(cfg, set(args.force or [])))
        return 0
    command = "toolpast " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    board, path = run_pipeline(cfg, force=set(args.force or []), export=args.export, command=command)
    if distributed.is_main():  # under accelerate launch / torchrun every rank holds the board; main shows it
        console.print(render_leaderboard(board))
        console.print(f"leaderboard JSON: {path}")
    return 0


def cmd_sweep(args) -> int:
    from toolpast.tooluse.sweep import SWEEP_VARIANTS, check_seeds, outputs_of, resolve_targets, run_sweep

    if getattr(args, "variants", None) is None:
        args.set = [*(args.set or []), f"eval.variants={json.dumps(SWEEP_VARIANTS)}"]
    cfg = _config(args)
    check_seeds(args.seeds)
    targets = resolve_targets(args.targets, cfg)
    if args.dry_run:
        from toolpast.tooluse.dry_run import dry_run

        seeds, shown = args.seeds, targets
        if args.shard is not None:  # the plan of this shard's seeds and targets
            mine = args.shard.take([(seed, target) for seed in args.seeds for target in targets])
            seeds, shown = list(dict.fromkeys(s for s, _ in mine)), list(dict.fromkeys(t for _, t in mine))
        print(dry_run(cfg, set(args.force or []), shown or targets, seeds or args.seeds))
        return 0
    from toolpast.tooluse.pipeline import default_export

    export = args.export or default_export(f"{cfg.suite}_sweep_{cfg.preset}.json")
    if args.shard is not None:
        export = args.shard.export(export)
    command = "toolpast " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    run_sweep(cfg, targets, args.seeds, export, force=set(args.force or []), command=command, shard=args.shard)
    if not distributed.is_main():  # main wrote the outputs and shows them
        return 0
    page, table = outputs_of(export)
    print(table.read_text(encoding="utf-8"))
    print(f"leaderboard JSON: {export}\nHTML page: {page}\nmarkdown table: {table}")
    return 0


def _int_list(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers such as 0,1,2, got {text!r}") from None


def _shard(text: str):
    from toolpast.tooluse.shard import parse_shard

    try:
        return parse_shard(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _check_holdouts(cfg: RunConfig, categories: list[str]) -> None:
    """Fail before any training when a stage on `categories` would draw from a held-out tail of their train split
    (`data.check_validation_holdout`, which checks the config's target: here each category in turn)."""
    from toolpast.tooluse.data import check_validation_holdout

    for category in categories:
        check_validation_holdout(cfg.model_copy(update={"target": category}))


def cmd_sft(args) -> int:
    """Knowledge SFT under the config's protocol (sft.data), the same data and settings the pipeline's stages use:
    docs, or the two stages (OUT/doc_pairs/model is stage 1, OUT/model stage 2)."""
    from toolpast.models import resolve_model
    from toolpast.stages.sft import run_sft
    from toolpast.tooluse.data import knowledge_protocol

    cfg = _config(args)
    cats = [c.lower() for c in args.categories]
    model, label = resolve_model(cfg.model), "+".join(cats)
    step, *rest = knowledge_protocol(cats, cfg)
    if rest:  # stage 2 draws train-split trajectories: never the held-out tail
        _check_holdouts(cfg, cats)
    # <out>.partial survives a kill (checkpoints are resumed) and replaces <out> on success
    with exclusive_output(args.out, "toolpast sft"), staged_dir(args.out, overwrite=True, resumable=True) as partial:
        if rest:
            docs = partial / "doc_pairs"
            if not docs.is_dir():  # a rerun after a kill in stage 2 keeps the finished stage 1
                with staged_dir(docs, resumable=True) as stage1:
                    run_sft(model, step.rows(), step.settings, stage1, cfg.seed, cfg.dtype, f"{step.what} {label}")
            model, (step,) = docs / "model", rest
        run_sft(model, step.rows(), step.settings, partial, cfg.seed, cfg.dtype, f"{step.what} {label}")
    print(Path(args.out) / "model")
    return 0


def cmd_rl(args) -> int:
    from toolpast.models import resolve_model
    from toolpast.tooluse.data import rl_tasks
    from toolpast.tooluse.feasibility import check_budget
    from toolpast.tooluse.rl import run_rl
    from toolpast.tooluse.select import policy_choice

    cats = [c.lower() for c in args.categories]
    cfg = apply_overrides(_config(args), [f"source={','.join(cats)},"])
    model, tasks = resolve_model(cfg.model), rl_tasks(cfg)
    _check_holdouts(cfg, cats)  # RL draws the front of the train split: never the validation or selection tail
    choice = policy_choice(cfg, cats)  # as in the pipeline's rl stage: chosen on held-out source tasks
    check_budget(cfg, model, evaluation=False)  # rung 0 of the RL tasks, before any training
    # <out>.partial survives a kill (checkpoints are resumed) and replaces <out> on success
    with exclusive_output(args.out, "toolpast rl"), staged_dir(args.out, overwrite=True, resumable=True) as partial:
        outputs = run_rl(model, tasks, cfg.rl, partial, cfg.seed, cfg.dtype, choice=choice)
    if not distributed.is_main():
        return 0  # the stage's outputs are main's (run_rl returns {} on the other ranks)
    chosen = outputs.get("selection")
    if chosen:
        print(f"policy choice: step {chosen['chosen_step']} of {chosen['steps']} (successes {chosen['successes']} "
              f"on {chosen['tasks']} held-out source tasks)")
    print(f"reward curve: {outputs['reward_curve']}\nmodel: {Path(args.out) / 'model'}")
    return 0


def cmd_skill(args) -> int:
    import warnings

    from toolpast.vectors import extract_skill_vector, inject_skill_delta, inject_skill_vector

    out = Path(args.out)
    if out.exists():  # checked before any work; the library would refuse too, but only after reading headers
        print(f"toolpast: error: --out {out} already exists; give a new path (skill {args.action} never "
              "overwrites)", file=sys.stderr)
        return 2
    if args.action == "extract":
        manifest = extract_skill_vector(Path(args.rl), Path(args.sft), out)
        print(f"skill vector: {out} ({len(manifest.tensors)} tensors, norm {manifest.total_l2_norm:.4g})")
        return 0
    if args.action == "sparsify":
        from toolpast.vectors.sparsify import sparsify_skill_vector

        manifest = sparsify_skill_vector(Path(args.vector), out, args.keep)
        print(f"skill vector: {out} (top {args.keep:g} of each tensor by magnitude, norm restored: "
              f"{manifest.total_l2_norm:.4g})")
        return 0
    fused = args.rl is not None or args.sft is not None
    if (args.vector is not None) == fused or (fused and (args.rl is None or args.sft is None)):
        print("toolpast: error: skill inject takes either --vector V or both --rl R and --sft S", file=sys.stderr)
        return 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if args.vector is not None:
            report = inject_skill_vector(Path(args.model), Path(args.vector), args.lam, out,
                                         allow_partial=args.allow_partial)
        else:
            report = inject_skill_delta(Path(args.model), Path(args.rl), Path(args.sft), args.lam, out,
                                        allow_partial=args.allow_partial)
    for w in caught:
        print(f"toolpast: warning: {w.message}", file=sys.stderr)
    kept = "n/a" if report.surviving_fraction is None else f"{report.surviving_fraction:.6f}"
    print(f"model: {out} (lambda {args.lam}, fraction of lambda*v surviving the cast: {kept})")
    return 0


def cmd_eval(args) -> int:
    import json

    from toolpast.io import atomic_write_json
    from toolpast.models import resolve_model
    from toolpast.stages.context import StageContext
    from toolpast.tooluse.data import eval_tasks
    from toolpast.tooluse.evaluate import evaluate
    from toolpast.tooluse.feasibility import enforce, entry_group, entry_record

    cfg = _config(args)
    tasks, model = eval_tasks(cfg), resolve_model(cfg.model)
    (rung0,) = enforce(cfg, [entry_group(cfg, model, cfg.target, args.book)])  # before any episode
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    metrics = evaluate(model, tasks, args.book, cfg.eval,
                       StageContext(cfg.seed, cfg.dtype, out, f"eval {args.category}"))
    metrics["feasibility"] = entry_record(rung0, cfg).model_dump()
    atomic_write_json(out / "metrics.json", metrics)
    print(json.dumps(metrics, indent=2))
    return 0


def cmd_feasibility(args) -> int:
    """Rung 0 over whole splits: how many tasks the oracle solves under a budget (default: the config's eval one)."""
    from toolpast.models import resolve_model
    from toolpast.tooluse.data import suite_categories
    from toolpast.tooluse.feasibility import Budget, model_context, suite_groups

    cfg = _config(args)
    model = resolve_model(cfg.model)
    categories = suite_categories(cfg) if args.categories == "all" else [
        c.strip().lower() for c in args.categories.split(",") if c.strip()]
    budget = Budget(args.max_turns or cfg.eval.max_turns, args.max_new_tokens or cfg.eval.max_new_tokens,
                    model_context(model))
    groups = suite_groups(cfg, model, categories, [s.strip() for s in args.splits.split(",") if s.strip()], budget)
    for group in groups:
        print(group.line())
    tasks, feasible = sum(g.tasks for g in groups), sum(g.feasible for g in groups)
    print(f"all: {feasible}/{tasks} feasible ({100 * feasible / max(tasks, 1):.1f}%) under {budget.describe()}; "
          f"the oracle needs {max(g.needs_turns for g in groups)} turns x "
          f"{max(g.needs_new_tokens for g in groups)} new tokens, context {max(g.needs_context for g in groups)}")
    return 0


def cmd_categories(args) -> int:
    import toolenv

    print("\n".join(toolenv.list_categories(suite=args.suite)))
    return 0


def register(sub) -> None:
    """Add `run`, `sweep`, `sft`, `rl`, `skill` and `eval` to the top-level subparsers."""
    fmt = argparse.RawDescriptionHelpFormatter
    settings = settings_epilog(RunConfig)

    run = sub.add_parser("run", help="The whole PaST pipeline on one target category, with a leaderboard.",
                         epilog=settings, formatter_class=fmt,
                         description="warm-up -> SFT source docs -> GRPO source -> skill vector -> SFT target docs "
                                     "-> inject -> evaluate base / sft / past / open_book on the target's test tasks.")
    run.add_argument("--category", required=True, help="The RL-unseen target category, e.g. finance.")
    _add_pipeline_options(run)
    run.add_argument("--lam-sweep", type=_float_list, metavar="L1,L2,...",
                     help="Evaluate PaST at each lambda, e.g. 0.25,0.5,1,1.5 (one inject + eval each).")
    run.add_argument("--variants", metavar="V1,V2,...",
                     help="Variants to evaluate (default base,sft,past,open_book); also pre_injection, sequential, "
                          "target_rl.")
    run.add_argument("--export", type=Path, help="Write the leaderboard JSON here (default: runs/SUITE_TARGET_PRESET"
                                                 ".json; committed results in leaderboards/ are only written when "
                                                 "named).")
    run.add_argument("--force", nargs="+", metavar="STAGE",
                     help="Rebuild these stages (and so everything downstream): warmup sft_source rl vector "
                          "sft_target inject orthogonality eval.")
    run.set_defaults(func=cmd_run)

    sweep = sub.add_parser("sweep", help="The transfer table: source stages once, then per target SFT -> inject -> "
                                         "evaluate, with the diagnostic ladder; JSON + HTML + markdown.",
                           epilog=settings, formatter_class=fmt,
                           description="Per seed: warm-up, source SFT, GRPO and the skill vector once; source SFT vs "
                                       "source RL on the source's test tasks (ladder rung b); then for every target: "
                                       "target SFT, inject, evaluate sft / past (and base with --variants) with "
                                       "knowledge probes (rung a). Resumable: rerun the same command after a kill.")
    sweep.add_argument("--targets", default="all",
                       help="all (the 21 RL-unseen native categories of tasks/native.json) or a comma-separated list.")
    sweep.add_argument("--seeds", type=_int_list, default=[0], metavar="S1,S2,...",
                       help="Seeds to run (default 0); the table reports mean and spread over them.")
    _add_pipeline_options(sweep)
    sweep.add_argument("--variants", metavar="V1,V2,...",
                       help="Variants per target (default sft,past; base, open_book etc. when asked for).")
    sweep.add_argument("--export", type=Path, help="Leaderboard JSON (default runs/<suite>_sweep_<preset>.json;"
                                                   " the .html page and .md table are written beside it).")
    sweep.add_argument("--force", nargs="+", metavar="STAGE", help="Rebuild these stages and everything downstream.")
    sweep.add_argument("--shard", type=_shard, metavar="I/N",
                       help="Run shard I of N (1-based): every N-th (seed, target) pair, for N machines or "
                            "terminals; the export gains .shard-I-of-N. Merge the shards' exports with "
                            "`toolpast leaderboard merge`. Runs sharing $TOOLPAST_HOME build each stage once.")
    sweep.set_defaults(func=cmd_sweep)

    for name, func, what, categories in (
            ("sft", cmd_sft, ("Knowledge SFT of a model on categories' API docs (sft.data: docs, or the two-stage "
                              "protocol: doc pairs, then the categories' train trajectories)."),
             "Categories whose docs (and, two-stage, train trajectories) to train on."),
            ("rl", cmd_rl, "GRPO of a model on categories' training tasks (closed-book).",
             "Source categories to train on.")):
        stage = sub.add_parser(name, help=what, epilog=settings, formatter_class=fmt)
        stage.add_argument("--categories", nargs="+", required=True, help=categories)
        stage.add_argument("--out", required=True, help="Output directory (the model lands in OUT/model).")
        _add_config_options(stage)
        stage.set_defaults(func=func)

    skills = subcommands.group(sub, "skill", "Skill vectors: extract v = rl - sft, sparsify it, inject "
                                             "theta = target + lambda v.", cmd_skill)
    extract = skills.add_parser("extract", help="Write v = RL model - SFT model as safetensors shards.")
    subcommands.required(extract, {"--rl": "The RL-trained checkpoint directory.",
                                   "--sft": "The checkpoint RL started from.",
                                   "--out": "Directory for the vector shards and manifest (must not exist)."})
    sparse = skills.add_parser("sparsify", help="Write v keeping each tensor's largest-magnitude entries, its norm "
                                                "restored (the sweep's vector_keep variant, as one command).")
    sparse.add_argument("--vector", required=True, help="A dense vector written by `toolpast skill extract`.")
    sparse.add_argument("--keep", type=float, required=True, help="Share of each tensor's entries kept, in (0, 1].")
    sparse.add_argument("--out", required=True, help="Directory for the sparsified vector (must not exist).")
    inject = skills.add_parser("inject", help="Write a loadable model theta = model + lambda * v.")
    inject.add_argument("--model", required=True, help="Target checkpoint (e.g. the target SFT model).")
    inject.add_argument("--vector", help="A directory written by `toolpast skill extract`.")
    inject.add_argument("--rl", help="Instead of --vector: the RL checkpoint; v = RL - SFT is computed on the fly "
                                     "(fused: same bits as extract + inject, the vector is never written).")
    inject.add_argument("--sft", help="With --rl: the checkpoint RL started from.")
    inject.add_argument("--lambda", dest="lam", type=float, default=1.0, help="Scale of the vector (default 1).")
    inject.add_argument("--allow-partial", action="store_true",
                        help="Inject even if the vector leaves some of the model's float tensors unchanged "
                             "(e.g. a LoRA vector); by default that is an error naming them.")
    inject.add_argument("--out", required=True, help="Directory for the new checkpoint (must not exist).")

    ev = sub.add_parser("eval", help="Zero-shot evaluation of one model on a category's test tasks.",
                        epilog=settings, formatter_class=fmt)
    ev.add_argument("--category", required=True, help="Category whose test split to evaluate.")
    ev.add_argument("--book", choices=["closed", "open"], default="closed",
                    help="closed: API knowledge must come from the weights; open: docs in the prompt.")
    ev.add_argument("--out", required=True, help="Directory for episodes.jsonl and metrics.json.")
    _add_config_options(ev)
    ev.set_defaults(func=cmd_eval)


def register_tasks(sub) -> None:
    """Add `feasibility` and `categories` (the suite's tasks, no model run) to the top-level subparsers."""
    fmt = argparse.RawDescriptionHelpFormatter
    settings = settings_epilog(RunConfig)

    feas = sub.add_parser("feasibility", help="Rung 0: the share of each category's tasks the oracle itself solves "
                                              "under a turn and token budget (the model's tokenizer; no model run).",
                          epilog=settings, formatter_class=fmt)
    feas.add_argument("--categories", default="all", help="Comma-separated categories, or all (default).")
    feas.add_argument("--splits", default="test,train", help="Splits to replay, whole (default test,train).")
    feas.add_argument("--max-turns", type=int, help="Turns per episode (default: the config's eval.max_turns).")
    feas.add_argument("--max-new-tokens", type=int, help="New tokens per turn (default: eval.max_new_tokens).")
    _add_config_options(feas)
    feas.set_defaults(func=cmd_feasibility)

    cats = sub.add_parser("categories", help="List the task categories.")
    cats.add_argument("--suite", choices=list(SUITES), default="native", help="Which suite.")
    cats.set_defaults(func=cmd_categories)
