"""The `toolpast` command line: the whole pipeline (`run`) and each stage on its own.

Errors with a message that says what to fix are printed as one `toolpast: error:` line (exit 2); set
TOOLPAST_TRACEBACK=1 to see their traceback."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from toolenv.suites import SUITES
from toolpast import distributed
from toolpast.config import RunConfig
from toolpast.io import staged_dir
from toolpast.overrides import add_config_options, apply_overrides, flag_sets, settings_epilog
from toolpast.presets import PRESETS, get_preset

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
    add_config_options(parser, RunConfig, list(PRESETS["tool-use"]), "smoke (tiny random model, ~1 min), cpu "
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
    from toolpast.pipeline import run_pipeline
    from toolpast.progress import console

    cfg = _config(args)
    if args.dry_run:
        from toolpast.dry_run import dry_run

        print(dry_run(cfg, set(args.force or [])))
        return 0
    command = "toolpast " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    board, path = run_pipeline(cfg, force=set(args.force or []), export=args.export, command=command)
    if distributed.is_main():  # under accelerate launch / torchrun every rank holds the board; main shows it
        console.print(render_leaderboard(board))
        console.print(f"leaderboard JSON: {path}")
    return 0


def cmd_sweep(args) -> int:
    from toolpast.sweep import SWEEP_VARIANTS, check_seeds, outputs_of, resolve_targets, run_sweep

    if getattr(args, "variants", None) is None:
        args.set = [*(args.set or []), f"eval.variants={json.dumps(SWEEP_VARIANTS)}"]
    cfg = _config(args)
    check_seeds(args.seeds)
    targets = resolve_targets(args.targets, cfg)
    if args.dry_run:
        from toolpast.dry_run import dry_run

        seeds, shown = args.seeds, targets
        if args.shard is not None:  # the plan of this shard's seeds and targets
            mine = args.shard.take([(seed, target) for seed in args.seeds for target in targets])
            seeds, shown = list(dict.fromkeys(s for s, _ in mine)), list(dict.fromkeys(t for _, t in mine))
        print(dry_run(cfg, set(args.force or []), shown or targets, seeds or args.seeds))
        return 0
    from toolpast.pipeline import default_export

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
    from toolpast.shard import parse_shard

    try:
        return parse_shard(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def cmd_sft(args) -> int:
    """Knowledge SFT under the config's protocol (sft.data), the same data and settings the pipeline's stages use:
    docs, or the two stages (OUT/doc_pairs/model is stage 1, OUT/model stage 2)."""
    from toolpast.models import resolve_model
    from toolpast.stages.data import check_validation_holdout, knowledge_protocol
    from toolpast.stages.sft import run_sft

    cfg = _config(args)
    cats = [c.lower() for c in args.categories]
    model, label = resolve_model(cfg.model), "+".join(cats)
    step, *rest = knowledge_protocol(cats, cfg)
    if rest:
        for category in cats:  # stage 2 draws train-split trajectories: never the held-out tail
            check_validation_holdout(cfg.model_copy(update={"target": category}))
    # <out>.partial survives a kill (checkpoints are resumed) and replaces <out> on success
    with staged_dir(args.out, overwrite=True, resumable=True) as partial:
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
    from toolpast.feasibility import check_budget
    from toolpast.models import resolve_model
    from toolpast.stages.data import rl_tasks
    from toolpast.stages.rl import run_rl

    cfg = apply_overrides(_config(args), [f"source={','.join(c.lower() for c in args.categories)},"])
    model, tasks = resolve_model(cfg.model), rl_tasks(cfg)
    check_budget(cfg, model, evaluation=False)  # rung 0 of the RL tasks, before any training
    # <out>.partial survives a kill (checkpoints are resumed) and replaces <out> on success
    with staged_dir(args.out, overwrite=True, resumable=True) as partial:
        outputs = run_rl(model, tasks, cfg.rl, partial, cfg.seed, cfg.dtype)
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

    from toolpast.evaluate import evaluate
    from toolpast.feasibility import enforce, entry_group, entry_record
    from toolpast.io import atomic_write_json
    from toolpast.stages.context import StageContext
    from toolpast.models import resolve_model
    from toolpast.stages.data import eval_tasks

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
    from toolpast.feasibility import Budget, model_context, suite_groups
    from toolpast.models import resolve_model
    from toolpast.stages.data import suite_categories

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


def cmd_leaderboard_table(args) -> int:
    from toolpast.leaderboard.transfer import render_files

    text = render_files(args.files, args.out, split=args.split, suite=args.suite, lam=args.lam,
                        sft_data=args.sft_data, mixed_configs=args.allow_mixed_configs)
    print(args.out if args.out else text, end="\n" if args.out else "")
    return 0


def cmd_leaderboard(args) -> int:
    if args.action == "table":
        return cmd_leaderboard_table(args)
    if args.action == "schema":
        from toolpast.leaderboard.json_schema import write_schema

        print(write_schema(args.out) if args.out else write_schema())
        return 0
    if args.action in ("merge", "html"):
        from toolpast.leaderboard.html import write_page
        from toolpast.leaderboard.merge import merge_files

        result = merge_files(args.files, args.out if args.action == "merge" else None)
        print(write_page(result.board, args.out) if args.action == "html" else args.out,
              f"{len(result.board.entries)} entries ({result.inputs} read, {result.replaced} replaced by newer "
              "results of the same evaluation)")
        return 0
    from rich.console import Console  # not toolpast.progress: that imports transformers (seconds)

    from toolpast.leaderboard.merge import read_board
    from toolpast.leaderboard.table import render_leaderboard

    console = Console()
    if not console.is_terminal:  # pipes and logs: rich would wrap the table at 80 columns
        console.width = max(console.width, 140)
    for path in args.files:
        console.print(render_leaderboard(read_board(Path(path))))
    return 0


def cmd_analyze(args) -> int:
    from rich.console import Console

    from toolpast.analysis import analyze_orthogonality
    from toolpast.analysis.table import orthogonality_table

    report = analyze_orthogonality(Path(args.base), Path(args.sft), Path(args.rl), Path(args.out),
                                   control_sft_dir=Path(args.control_sft) if args.control_sft else None)
    console = Console()
    if not console.is_terminal:  # logs and CI: rich would wrap the table at 80 columns
        console.width = max(console.width, 140)
    console.print(orthogonality_table(report))
    print(f"report: {report.json_path}\nheat map: {report.png_path}")
    return 0


def cmd_bench(args) -> int:
    if args.action == "regress":
        from toolpast.bench.regress import run_regress

        return run_regress(args.baseline, update=args.update, tolerance=args.tolerance)
    if args.action == "throughput":
        from toolpast.bench.throughput import run_throughput_bench

        return run_throughput_bench(args.model, args.category, args.tasks, args.batch_size, args.max_turns,
                                    args.max_new_tokens, args.repeats, args.sequential_repeats)
    from toolpast.bench.vectors import run_vector_bench

    run_vector_bench(sizes=[s.strip() for s in args.sizes.split(",") if s.strip()], repeats=args.repeats,
                     skip_mergekit=args.skip_mergekit, workdir=args.workdir, json_path=args.json,
                     mergekit_yaml=args.mergekit_yaml)
    return 0


def cmd_serve(args) -> int:
    from toolpast.serve import serve

    return serve(args.model, host=args.host, port=args.port, dtype=args.dtype, verbose=args.verbose,
                 threads=args.threads)


def _group(sub, name: str, what: str, func) -> argparse._SubParsersAction:
    """A command whose actions are subcommands (`skill extract`, `bench regress`, ...): their subparsers."""
    group = sub.add_parser(name, help=what)
    group.set_defaults(func=func)
    return group.add_subparsers(dest="action", required=True)


def _required(parser: argparse.ArgumentParser, helps: dict[str, str]) -> None:
    """Required string options that differ only in name and help (flag -> help)."""
    for flag, text in helps.items():
        parser.add_argument(flag, required=True, help=text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toolpast", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
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
            ("sft", cmd_sft, "Knowledge SFT of a model on categories' API docs (sft.data: docs, or the two-stage "
                             "protocol: doc pairs, then the categories' train trajectories).",
             "Categories whose docs (and, two-stage, train trajectories) to train on."),
            ("rl", cmd_rl, "GRPO of a model on categories' training tasks (closed-book).",
             "Source categories to train on.")):
        stage = sub.add_parser(name, help=what, epilog=settings, formatter_class=fmt)
        stage.add_argument("--categories", nargs="+", required=True, help=categories)
        stage.add_argument("--out", required=True, help="Output directory (the model lands in OUT/model).")
        _add_config_options(stage)
        stage.set_defaults(func=func)

    skills = _group(sub, "skill", "Skill vectors: extract v = rl - sft, inject theta = target + lambda v.", cmd_skill)
    extract = skills.add_parser("extract", help="Write v = RL model - SFT model as safetensors shards.")
    _required(extract, {"--rl": "The RL-trained checkpoint directory.", "--sft": "The checkpoint RL started from.",
                        "--out": "Directory for the vector shards and manifest (must not exist)."})
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

    board_sub = _group(sub, "leaderboard", "Leaderboard JSON files: show, merge, HTML page, or the schema.",
                       cmd_leaderboard)
    show = board_sub.add_parser("show", help="Print leaderboard JSON files as tables.")
    show.add_argument("files", nargs="+", help="Leaderboard JSON files.")
    schema = board_sub.add_parser("schema", help="Write the JSON Schema (default: leaderboards/schema.json).")
    schema.add_argument("--out", type=Path, help="Where to write it instead.")
    merge = board_sub.add_parser("merge", help="Combine exports (runs, the shards of a `sweep --shard`); a rerun of "
                                               "the same evaluation keeps the newest.")
    merge.add_argument("files", nargs="+", type=Path, help="Leaderboard JSON files.")
    merge.add_argument("--out", type=Path, required=True, help="The merged leaderboard JSON.")
    page = board_sub.add_parser("html", help="One self-contained HTML page (sortable table, bars, PaST - SFT).")
    page.add_argument("files", nargs="+", type=Path, help="Leaderboard JSON files (merged first).")
    page.add_argument("--out", type=Path, required=True, help="The .html file to write.")
    tab = board_sub.add_parser("table", help="The paper's transfer table (markdown): base / SFT / PaST per category, "
                                             "the average with a category-stratified bootstrap, and the ladder.")
    tab.add_argument("files", nargs="+", type=Path, help="Leaderboard JSON files (merged first).")
    tab.add_argument("--out", type=Path, help="Write the markdown here instead of printing it.")
    tab.add_argument("--split", choices=["test", "validation"], help="Which split to report (needed when the files "
                                                                     "mix them; validation is for tuning only).")
    tab.add_argument("--suite", help="Which suite, when the files hold target categories of several.")
    tab.add_argument("--lam", type=float, help="Which PaST lambda, when a category has several.")
    tab.add_argument("--sft-data", help="Which SFT data protocol (docs, docs+trajectories), when several.")
    tab.add_argument("--allow-mixed-configs", action="store_true",
                     help="Compare a PaST entry with a target SFT of another run config (config hash: another "
                          "recipe) when the files hold none of its own; refused by default.")

    analyze_sub = _group(sub, "analyze", "Analyses of checkpoints, e.g. SFT vs RL update orthogonality.", cmd_analyze)
    ortho = analyze_sub.add_parser("orthogonality", help="Layer-wise cosines of dSFT = sft - base vs dRL = rl - sft.")
    _required(ortho, {"--base": "The checkpoint SFT started from.", "--sft": "The SFT checkpoint RL started from.",
                      "--rl": "The RL-trained checkpoint."})
    ortho.add_argument("--control-sft", help="A second SFT of the same base on another category (control pair).")
    ortho.add_argument("--out", required=True, help="Directory for orthogonality.json and orthogonality.png.")

    bench_sub = _group(sub, "bench", "Benchmarks that print numbers.", cmd_bench)
    bvec = bench_sub.add_parser("vectors", help="Peak RSS and wall time of skill extract + inject (vs mergekit).")
    bvec.add_argument("--sizes", default="default,large",
                      help="Comma-separated: default (SmolLM2-135M), large (~0.66B random Llama, ~500 MB shards), "
                           "tiny (~1 MB, for smoke tests). Default: default,large.")
    bvec.add_argument("--repeats", type=int, default=3, help="Measurements per operation; medians are reported.")
    bvec.add_argument("--skip-mergekit", action="store_true", help="Do not run mergekit's task_arithmetic merge.")
    bvec.add_argument("--mergekit-yaml", help="The mergekit-yaml executable (default: on PATH or next to python).")
    bvec.add_argument("--workdir", type=Path, help="Scratch directory for the models (default: a temp dir).")
    bvec.add_argument("--json", type=Path, help="Also write the results here as JSON.")
    thr = bench_sub.add_parser("throughput", help="Episodes/s of the hf backend: batched + KV cache vs one at a "
                                                  "time (identical greedy results required); last line speedup: N.")
    thr.add_argument("--model", default="smollm2-135m-instruct", help="Model spec (default: the embedded SmolLM2).")
    thr.add_argument("--category", default="finance", help="Native category whose test tasks to run.")
    thr.add_argument("--tasks", type=int, default=16, help="Episodes (test tasks) per mode.")
    thr.add_argument("--batch-size", type=int, default=16, help="Episodes advanced together in batched modes.")
    thr.add_argument("--max-turns", type=int, default=4, help="Model turns per episode.")
    thr.add_argument("--max-new-tokens", type=int, default=64, help="New tokens per turn.")
    thr.add_argument("--repeats", type=int, default=3, help="Timings of each batched mode (median reported).")
    thr.add_argument("--sequential-repeats", type=int, default=1, help="Timings of the one-at-a-time baseline.")
    reg = bench_sub.add_parser("regress", help="CI gate: a fixed small task set with the default model, greedy, "
                                               "compared with a committed baseline; exit 1 on a regression.")
    reg.add_argument("--baseline", type=Path, default=Path("leaderboards/ci-baseline.json"),
                     help="Baseline leaderboard JSON (default: leaderboards/ci-baseline.json).")
    reg.add_argument("--tolerance", type=float, default=0.15,
                     help="Largest allowed worsening of a rate (absolute, default 0.15: one of the 8 episodes may "
                          "flip between CPUs whose float rounding differs; a broken harness moves rates far more).")
    reg.add_argument("--update", action="store_true", help="Measure and rewrite the baseline (after an intended "
                                                           "change; commit it with that change).")
    from toolpast.bench.serve_load import add_serve_load_parser  # `bench serve-load`: toolpast/bench/serve_load.py
    add_serve_load_parser(bench_sub)

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

    srv = sub.add_parser("serve", help="Serve a model behind an OpenAI-compatible chat-completions endpoint (hf).")
    srv.add_argument("--model", default="smollm2-135m-instruct", help="Model spec (default smollm2-135m-instruct).")
    srv.add_argument("--host", default="127.0.0.1", help="Bind address (default loopback; others get a warning).")
    srv.add_argument("--port", type=int, default=8000, help="Port (default 8000; 0 picks a free one and prints it).")
    srv.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], default="float32", help="Model dtype.")
    srv.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's; 1 is steadier on a "
                                                 "busy machine).")
    srv.add_argument("--verbose", action="store_true", help="Log every request to stderr.")
    srv.set_defaults(func=cmd_serve)
    from toolpast.qa.cli import add_qa_parser  # the `qa` group lives in toolpast/qa/cli.py
    add_qa_parser(sub)
    return parser


def user_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message says what to fix (bad input, a missing, existing or corrupt file, a full disk or a
    read-only place, a stage another process is building, an unreachable server): `main` prints them as one line
    and exits 2; anything else is a bug and keeps its traceback."""
    from toolpast.artifacts import StageLocked
    from toolpast.distributed import MainProcessFailed
    from toolpast.models import ModelNotAvailable
    from toolpast.rollout.openai_chat import BackendUnavailable
    from toolpast.write_errors import CannotWrite

    return (ValueError, FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError, PermissionError,
            CannotWrite, StageLocked, ModelNotAvailable, BackendUnavailable, MainProcessFailed)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Exception as error:  # noqa: BLE001 - the one place that turns known errors into one line
        from toolpast.write_errors import restate

        error = restate(error) or error  # a full disk, a read-only place: the path and the fix, not the OS's words
        if os.environ.get("TOOLPAST_TRACEBACK") or not isinstance(error, user_errors()):
            raise
        print(f"toolpast: error: {error or type(error).__name__}", file=sys.stderr)
        return 2
    finally:
        distributed.shutdown()  # under a launcher: close the process groups (a no-op in one process)


if __name__ == "__main__":
    sys.exit(main())
