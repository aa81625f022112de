"""The `toolpast` command line: the whole pipeline (`run`) and each stage on its own."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from pathlib import Path

from toolpast.config import RunConfig
from toolpast.overrides import apply_overrides, describe_fields

EPILOG_SETTINGS = "\n".join(f"  {path:<32} {default:<14} {desc}" for path, default, desc in describe_fields(RunConfig))


def _config(args) -> RunConfig:
    from toolpast.presets import get_preset

    cfg = get_preset(args.preset)
    sets = list(args.set or [])
    for flag, path in (("model", "model"), ("seed", "seed"), ("lam", "lam")):
        if getattr(args, flag, None) is not None:
            sets.append(f"{path}={getattr(args, flag)}")
    if getattr(args, "category", None):
        sets.append(f"target={args.category.lower()}")
    if getattr(args, "source", None):
        sets.append(f"source={','.join(s.lower() for s in args.source)},")
    return apply_overrides(cfg, sets)


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default="cpu", choices=["smoke", "cpu", "paper"],
                        help="Starting config: smoke (tiny random model, ~1 min), cpu (SmolLM2-135M on a laptop, "
                             "default), paper (Qwen2.5-7B + vLLM on GPUs).")
    parser.add_argument("--model", help="Model spec: smollm2-135m-instruct, tiny-random, a local checkpoint dir, "
                                        "or a hub id. Overrides the preset's model.")
    parser.add_argument("--seed", type=int, help="Seed of training, sampling and task generation.")
    parser.add_argument("--set", action="append", metavar="PATH=VALUE",
                        help="Override any config field (repeatable), e.g. --set rl.steps=20; all fields below.")


def _finish_out(partial: Path, out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    os.replace(partial, out)


def cmd_run(args) -> int:
    from toolpast.leaderboard.table import render_leaderboard
    from toolpast.pipeline import run_pipeline
    from toolpast.progress import console

    cfg = _config(args)
    command = "toolpast " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    board, path = run_pipeline(cfg, force=set(args.force or []), export=args.export, command=command)
    console.print(render_leaderboard(board))
    console.print(f"leaderboard JSON: {path}")
    return 0


def cmd_sft(args) -> int:
    from toolpast.models import resolve_model
    from toolpast.stages.data import knowledge_rows
    from toolpast.stages.sft import run_sft

    cfg = _config(args)
    cats = [c.lower() for c in args.categories]
    partial = Path(f"{args.out}.partial")
    partial.mkdir(parents=True, exist_ok=True)
    run_sft(resolve_model(cfg.model), knowledge_rows(cats, cfg), cfg.sft, partial, cfg.seed, cfg.dtype,
            f"SFT docs {'+'.join(cats)}")
    _finish_out(partial, Path(args.out))
    print(Path(args.out) / "model")
    return 0


def cmd_rl(args) -> int:
    from toolpast.models import resolve_model
    from toolpast.stages.data import rl_tasks
    from toolpast.stages.rl import run_rl

    cfg = apply_overrides(_config(args), [f"source={','.join(c.lower() for c in args.categories)},"])
    partial = Path(f"{args.out}.partial")
    partial.mkdir(parents=True, exist_ok=True)
    outputs = run_rl(resolve_model(cfg.model), rl_tasks(cfg), cfg.rl, partial, cfg.seed, cfg.dtype)
    _finish_out(partial, Path(args.out))
    print(f"reward curve: {outputs['reward_curve']}\nmodel: {Path(args.out) / 'model'}")
    return 0


def cmd_skill(args) -> int:
    from toolpast.vectors import extract_skill_vector, inject_skill_vector

    if args.action == "extract":
        manifest = extract_skill_vector(Path(args.rl), Path(args.sft), Path(args.out))
        print(f"skill vector: {args.out} ({len(manifest.tensors)} tensors, norm {manifest.total_l2_norm:.4g})")
    else:
        report = inject_skill_vector(Path(args.model), Path(args.vector), args.lam, Path(args.out))
        print(f"model: {args.out} (lambda {args.lam}, surviving fraction of the vector {report.surviving_fraction:.6f})")
    return 0


def cmd_eval(args) -> int:
    import json

    import toolenv
    from toolpast.evaluate import evaluate
    from toolpast.models import resolve_model

    cfg = _config(args)
    tasks = toolenv.get_category(args.category, seed=cfg.world_seed).tasks("test", n=cfg.eval.tasks)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    metrics = evaluate(resolve_model(cfg.model), tasks, args.book, cfg.eval, cfg.seed, cfg.dtype, out,
                       f"eval {args.category}")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(json.dumps(metrics, indent=2))
    return 0


def cmd_categories(args) -> int:
    import toolenv

    print("\n".join(toolenv.list_categories()))
    return 0


def cmd_leaderboard(args) -> int:
    from toolpast.leaderboard.schema import Leaderboard

    if args.action == "schema":
        from toolpast.leaderboard.json_schema import write_schema

        print(write_schema(args.out) if args.out else write_schema())
        return 0
    from toolpast.leaderboard.table import render_leaderboard
    from toolpast.progress import console

    for path in args.files:
        console.print(render_leaderboard(Leaderboard.model_validate_json(Path(path).read_text())))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toolpast", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    fmt = argparse.RawDescriptionHelpFormatter
    settings = f"settings for --set (path, cpu-preset default, meaning):\n{EPILOG_SETTINGS}"

    run = sub.add_parser("run", help="The whole PaST pipeline on one target category, with a leaderboard.",
                         epilog=settings, formatter_class=fmt,
                         description="warm-up -> SFT source docs -> GRPO source -> skill vector -> SFT target docs "
                                     "-> inject -> evaluate base / sft / past / open_book on the target's test tasks.")
    run.add_argument("--category", required=True, help="The RL-unseen target category, e.g. finance.")
    run.add_argument("--source", nargs="+", help="RL source categories (default: movies).")
    run.add_argument("--lam", type=float, help="Skill vector scale lambda (default 1.0, the paper's).")
    run.add_argument("--export", type=Path, help="Write the leaderboard JSON here (default: leaderboards/).")
    run.add_argument("--force", nargs="+", metavar="STAGE",
                     help="Rebuild these stages (and so everything downstream): warmup sft_source rl vector "
                          "sft_target inject eval.")
    _add_config_options(run)
    run.set_defaults(func=cmd_run)

    sft = sub.add_parser("sft", help="Knowledge SFT of a model on categories' API docs.", epilog=settings,
                         formatter_class=fmt)
    sft.add_argument("--categories", nargs="+", required=True, help="Categories whose docs corpus to train on.")
    sft.add_argument("--out", required=True, help="Output directory (the model lands in OUT/model).")
    _add_config_options(sft)
    sft.set_defaults(func=cmd_sft)

    rl = sub.add_parser("rl", help="GRPO of a model on categories' training tasks (closed-book).", epilog=settings,
                        formatter_class=fmt)
    rl.add_argument("--categories", nargs="+", required=True, help="Source categories to train on.")
    rl.add_argument("--out", required=True, help="Output directory (the model lands in OUT/model).")
    _add_config_options(rl)
    rl.set_defaults(func=cmd_rl)

    skill = sub.add_parser("skill", help="Skill vectors: extract v = rl - sft, inject theta = target + lambda v.")
    skill_sub = skill.add_subparsers(dest="action", required=True)
    extract = skill_sub.add_parser("extract", help="Write v = RL model - SFT model as safetensors shards.")
    extract.add_argument("--rl", required=True, help="The RL-trained checkpoint directory.")
    extract.add_argument("--sft", required=True, help="The checkpoint RL started from.")
    extract.add_argument("--out", required=True, help="Directory for the vector shards and manifest.")
    inject = skill_sub.add_parser("inject", help="Write a loadable model theta = model + lambda * v.")
    inject.add_argument("--model", required=True, help="Target checkpoint (e.g. the target SFT model).")
    inject.add_argument("--vector", required=True, help="A directory written by `toolpast skill extract`.")
    inject.add_argument("--lambda", dest="lam", type=float, default=1.0, help="Scale of the vector (default 1).")
    inject.add_argument("--out", required=True, help="Directory for the new checkpoint.")
    skill.set_defaults(func=cmd_skill)

    ev = sub.add_parser("eval", help="Zero-shot evaluation of one model on a category's test tasks.",
                        epilog=settings, formatter_class=fmt)
    ev.add_argument("--category", required=True, help="Category whose test split to evaluate.")
    ev.add_argument("--book", choices=["closed", "open"], default="closed",
                    help="closed: API knowledge must come from the weights; open: docs in the prompt.")
    ev.add_argument("--out", required=True, help="Directory for episodes.jsonl and metrics.json.")
    _add_config_options(ev)
    ev.set_defaults(func=cmd_eval)

    board = sub.add_parser("leaderboard", help="Leaderboard JSON files: show them, or regenerate the schema.")
    board_sub = board.add_subparsers(dest="action", required=True)
    show = board_sub.add_parser("show", help="Print leaderboard JSON files as tables.")
    show.add_argument("files", nargs="+", help="Leaderboard JSON files.")
    schema = board_sub.add_parser("schema", help="Write the JSON Schema (default: leaderboards/schema.json).")
    schema.add_argument("--out", type=Path, help="Where to write it instead.")
    board.set_defaults(func=cmd_leaderboard)

    cats = sub.add_parser("categories", help="List the task categories.")
    cats.set_defaults(func=cmd_categories)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as error:
        print(f"toolpast: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - name the model error type, keep the traceback for the rest
        from toolpast.models import ModelNotAvailable

        if isinstance(error, ModelNotAvailable):
            print(f"toolpast: error: {error}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
