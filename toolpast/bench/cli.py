"""`toolpast bench`: benchmarks that print numbers (skill vectors, hf throughput, the CI regression gate, load on
the servers). toolpast/cli.py asks `register` to add the group."""

from __future__ import annotations

from pathlib import Path

from toolpast.bench.serve_load import add_serve_load_parser
from toolpast.subcommands import group


def cmd_bench(args) -> int:
    if args.action == "regress":
        from toolpast.bench.regress import run_regress

        return run_regress(args.baseline, update=args.update, tolerance=args.tolerance)
    if args.action == "throughput":
        from toolpast.bench.throughput import run_throughput_bench

        return run_throughput_bench(args.model, args.category, args.tasks, args.batch_size, args.max_turns,
                                    args.max_new_tokens, args.repeats, args.sequential_repeats, dtype=args.dtype,
                                    backends=tuple(b.strip() for b in args.backends.split(",") if b.strip()),
                                    reference=not args.no_reference, grpo_steps=args.grpo_steps,
                                    evaluation=not args.grpo_only,
                                    grpo_passes=tuple(p.strip() for p in args.grpo_passes.split(",") if p.strip()),
                                    grpo_generations=args.grpo_generations, grpo_micro_batch=args.grpo_micro_batch)
    from toolpast.bench.vectors import run_vector_bench

    run_vector_bench(sizes=[s.strip() for s in args.sizes.split(",") if s.strip()], repeats=args.repeats,
                     skip_mergekit=args.skip_mergekit, workdir=args.workdir, json_path=args.json,
                     mergekit_yaml=args.mergekit_yaml)
    return 0


def register(sub) -> None:
    """Add `bench` and its actions to the top-level subparsers."""
    bench_sub = group(sub, "bench", "Benchmarks that print numbers.", cmd_bench)
    bvec = bench_sub.add_parser("vectors", help="Peak RSS and wall time of skill extract + inject (vs mergekit).")
    bvec.add_argument("--sizes", default="default,large",
                      help="Comma-separated: default (SmolLM2-135M), large (~0.66B random Llama, ~500 MB shards), "
                           "tiny (~1 MB, for smoke tests). Default: default,large.")
    bvec.add_argument("--repeats", type=int, default=3, help="Measurements per operation; medians are reported.")
    bvec.add_argument("--skip-mergekit", action="store_true", help="Do not run mergekit's task_arithmetic merge.")
    bvec.add_argument("--mergekit-yaml", help="The mergekit-yaml executable (default: on PATH or next to python).")
    bvec.add_argument("--workdir", type=Path, help="Scratch directory for the models (default: a temp dir).")
    bvec.add_argument("--json", type=Path, help="Also write the results here as JSON.")
    thr = bench_sub.add_parser("throughput", help="Tokens/s of the rollout backends on the same episodes (hf "
                                                  "batched + KV cache, vllm, one at a time) against raw transformers "
                                                  "generate; identical greedy hf results required; last lines "
                                                  "speedup: N and hf_vs_generate: X.")
    thr.add_argument("--model", default="smollm2-135m-instruct", help="Model spec (default: the embedded SmolLM2).")
    thr.add_argument("--category", default="finance", help="Native category whose test tasks to run.")
    thr.add_argument("--tasks", type=int, default=16, help="Episodes (test tasks) per mode.")
    thr.add_argument("--batch-size", type=int, default=16, help="Episodes advanced together in batched modes.")
    thr.add_argument("--max-turns", type=int, default=4, help="Model turns per episode.")
    thr.add_argument("--max-new-tokens", type=int, default=64, help="New tokens per turn.")
    thr.add_argument("--repeats", type=int, default=3, help="Timings of each batched mode (median reported).")
    thr.add_argument("--sequential-repeats", type=int, default=1, help="Timings of the one-at-a-time baseline.")
    thr.add_argument("--backends", default="hf", help="Comma-separated: hf (always) and vllm (an in-process engine; "
                                                      "`make setup-vllm`), e.g. hf,vllm.")
    thr.add_argument("--dtype", default="float32", help="Weights' dtype in every mode (float32; bfloat16 only pays "
                                                        "on CPUs with native bf16 and on GPUs).")
    thr.add_argument("--no-reference", action="store_true", help="Skip the two transformers generate modes.")
    thr.add_argument("--grpo-steps", type=int, default=0, help="Also time this many GRPO steps per backend (cpu "
                                                               "preset, 2 prompts x 4 rollouts; the median excludes "
                                                               "the first step).")
    thr.add_argument("--grpo-only", action="store_true", help="With --grpo-steps: time only the GRPO steps (the "
                                                              "evaluation modes take ~15-40 min on 2 cores).")
    thr.add_argument("--grpo-passes", default="padded", help="GRPO's log-probability passes: padded (TRL's, the "
                     "default), grouped (by length: rl.length_grouped_passes), or padded,grouped to time both from "
                     "the same weights and seed and print their ratio.")
    thr.add_argument("--grpo-generations", type=int, default=4, help="GRPO rollouts per prompt (2 prompts per step; "
                                                                      "the cpu preset uses 6).")
    thr.add_argument("--grpo-micro-batch", type=int, default=4, help="Sequences per forward/backward pass in the GRPO "
                                                                      "steps (0 = the whole step in one, as the cpu "
                                                                      "preset).")
    reg = bench_sub.add_parser("regress", help="CI gate: a fixed small task set with the default model, greedy, "
                                               "compared with a committed baseline; exit 1 on a regression.")
    reg.add_argument("--baseline", type=Path, default=Path("leaderboards/ci-baseline.json"),
                     help="Baseline leaderboard JSON (default: leaderboards/ci-baseline.json).")
    reg.add_argument("--tolerance", type=float, default=0.15,
                     help="Largest allowed worsening of a rate (absolute, default 0.15: one of the 8 episodes may "
                          "flip between CPUs whose float rounding differs; a broken harness moves rates far more).")
    reg.add_argument("--update", action="store_true", help="Measure and rewrite the baseline (after an intended "
                                                           "change; commit it with that change).")
    add_serve_load_parser(bench_sub)  # `bench serve-load`: toolpast/bench/serve_load.py
