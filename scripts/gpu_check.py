"""One prepared check of toolpast's GPU paths, at most 10 minutes on one GPU (scripts/gpu_check.sh runs it).

With the embedded SmolLM2-135M (the paper preset's 7B is not needed to see whether the paths work) it runs:
1. precision: SFT steps at the paper preset's RL learning rate (1e-6) with bf16 compute over fp32 master weights,
   and the same in pure bf16; prints the share of the skill vector's entries that survived in each;
2. SFT: bf16 mixed-precision steps with micro-batches (gradient accumulation); steps/s and peak memory;
3. GRPO: steps with micro-batches, on vLLM (TRL colocate mode, sleep mode) when vLLM is importable, else HF
   generation; steps/s and peak memory;
4. hf evaluation on the device: episodes/s and peak memory;
5. vllm evaluation where vLLM is importable (two samples per task at temperature 0.8: they must differ; a second
   evaluation must reuse the engine), else it says "vLLM: not installed, not run".
Each part's failure is reported and the others still run; the last line is a one-line summary, and the exit
status is 1 if any part failed. `--cpu` runs the same code on the CPU with tiny step counts (a self-test that
keeps this script from rotting; tests/toolpast/test_gpu_check.py runs it with `--model tiny-random`).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
import traceback
from importlib.util import find_spec
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _peak_gib(cuda: bool) -> str:
    import torch

    if cuda:
        return f"peak {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB allocated"
    return f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB (process so far)"


def _reset_peak(cuda: bool) -> None:
    import torch

    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()


def _vector_kept(trained: Path, start: Path, out: Path) -> float:
    from toolpast.vector_check import count_zeros
    from toolpast.vectors import extract_skill_vector

    extract_skill_vector(trained, start, out)
    return count_zeros(out).kept


def check_precision(model_dir: Path, work: Path, steps: int, cuda: bool) -> str:
    """An RL-sized update (lr 1e-6) survives fp32 master weights and vanishes in pure bf16, on this device."""
    from toolpast.models import load_model, load_tokenizer
    from toolpast.stages.sft import run_sft
    from toolpast.tooluse.config import RunConfig
    from toolpast.tooluse.data import knowledge_rows
    from toolpast.tooluse.presets import paper

    preset = paper()
    rows = knowledge_rows(["finance"], RunConfig(sft={"data": "docs"}))[:16]
    cfg = preset.sft.model_copy(update={"steps": steps, "batch_size": 4, "micro_batch_size": 0, "max_length": 128,
                                        "learning_rate": preset.rl.learning_rate, "save_every": 1000})
    run_sft(model_dir, rows, cfg.model_copy(update={"bf16_autocast": True}), work / "mixed", 0, "float32", "mixed")
    mixed = _vector_kept(work / "mixed" / "model", model_dir, work / "mixed-vector")
    bf16_start = work / "bf16-start"
    load_model(model_dir, dtype="bfloat16").save_pretrained(bf16_start)
    load_tokenizer(model_dir).save_pretrained(bf16_start)
    run_sft(bf16_start, rows, cfg.model_copy(update={"bf16_autocast": False}), work / "pure", 0, "bfloat16", "pure")
    pure = _vector_kept(work / "pure" / "model", bf16_start, work / "pure-vector")
    if not (mixed > 0.9 and pure < 0.5):
        raise AssertionError(f"vector entries kept: fp32 master {mixed:.1%}, pure bf16 {pure:.1%} "
                             "(expected > 90% and < 50%)")
    return f"lr 1e-6 x {steps} steps: vector entries kept {mixed:.1%} (fp32 master) vs {pure:.1%} (pure bf16)"


def check_sft(model_dir: Path, work: Path, steps: int, cuda: bool, max_length: int) -> str:
    from toolpast.stages.sft import run_sft
    from toolpast.tooluse.config import RunConfig
    from toolpast.tooluse.data import doc_pair_rows
    from toolpast.tooluse.presets import cpu

    rows = doc_pair_rows(["finance"], RunConfig())
    cfg = cpu().sft.model_copy(update={"steps": steps, "batch_size": 8, "micro_batch_size": 4, "max_length": max_length,
                                       "save_every": 1000, "bf16_autocast": True})
    _reset_peak(cuda)
    began = time.perf_counter()
    out = run_sft(model_dir, rows, cfg, work / "sft", 0, "float32", "gpu_check SFT")
    took = time.perf_counter() - began
    if not out["train_loss"] == out["train_loss"]:  # NaN
        raise AssertionError(f"SFT loss is NaN: {out}")
    return (f"{steps} steps (8 seqs of <= {max_length} tokens = 2 x 4 accumulated, bf16 autocast) in {took:.1f}s "
            "incl. load: "
            f"{steps / took:.2f} steps/s, loss {out['train_loss']}, {_peak_gib(cuda)}")


def check_grpo(model_dir: Path, work: Path, steps: int, cuda: bool, vllm: bool, new_tokens: int) -> str:
    from toolpast.tooluse.data import rl_tasks
    from toolpast.tooluse.presets import cpu
    from toolpast.tooluse.rl import run_rl

    run = cpu()
    rl = run.rl.model_copy(update={"steps": steps, "prompts_per_step": 2, "num_generations": 4,
                                   "micro_batch_size": 4, "max_turns": 2, "max_new_tokens": new_tokens,
                                   "save_every": 1000,
                                   "bf16_autocast": True, "use_vllm": vllm, "vllm_enable_sleep_mode": vllm,
                                   "vllm_gpu_memory_utilization": 0.3})
    _reset_peak(cuda)
    began = time.perf_counter()
    out = run_rl(model_dir, rl_tasks(run)[:8], rl, work / "rl", 0, "float32", "gpu_check GRPO")
    took = time.perf_counter() - began
    episodes = steps * rl.prompts_per_step * rl.num_generations
    return (f"{steps} steps on {'vLLM (colocate, sleep mode)' if vllm else 'HF generation'}, 8 episodes/step in 2 "
            f"micro-batches, in {took:.1f}s incl. load: {steps / took:.3f} steps/s, {episodes / took:.2f} "
            f"episodes/s, rewards {out['reward_curve']}, {_peak_gib(cuda)}")


def check_eval(model_dir: Path, work: Path, tasks: int, cuda: bool, backend: str, new_tokens: int) -> str:
    import toolenv
    from toolpast.stages.context import StageContext
    from toolpast.tooluse.config import EvalConfig
    from toolpast.tooluse.evaluate import evaluate

    chosen = toolenv.get_category("finance").tasks("test", n=tasks)
    samples = 2 if backend == "vllm" else 1
    cfg = EvalConfig(tasks=tasks, backend=backend, batch_size=tasks * samples, max_turns=3, max_new_tokens=new_tokens,
                     samples=samples, temperature=0.8 if samples > 1 else 0.0, bf16_autocast=True)
    _reset_peak(cuda)
    began = time.perf_counter()
    out = evaluate(model_dir, chosen, "closed", cfg,
                   StageContext(0, "float32", _fresh(work / f"eval-{backend}"), backend))
    took = time.perf_counter() - began
    line = (f"{out['n']} episodes in {took:.1f}s incl. load: {out['n'] / took:.2f} episodes/s, success "
            f"{out['success_rate']:.2f}, {_peak_gib(cuda)}")
    if backend == "vllm":
        rows = [json.loads(x) for x in (work / "eval-vllm" / "episodes.jsonl").read_text().splitlines()]
        by_task: dict[str, set] = {}
        for row in rows:
            by_task.setdefault(row["task_id"], set()).add(json.dumps(row["trajectory"]["steps"]))
        differ = sum(len(v) > 1 for v in by_task.values())
        if differ == 0:
            raise AssertionError("vllm: the two samples of every task are identical (per-sample seeds broken)")
        from toolpast.rollout import vllm as backend_module

        engine = next(iter(backend_module._ENGINES.values()), None)
        began = time.perf_counter()
        evaluate(model_dir, chosen, "closed", cfg,
                 StageContext(1, "float32", _fresh(work / "eval-vllm-2"), "vllm again"))
        again = time.perf_counter() - began
        if next(iter(backend_module._ENGINES.values()), None) is not engine:
            raise AssertionError("vllm: the second evaluation of the same checkpoint started a new engine")
        line += (f"; samples differ on {differ}/{len(by_task)} tasks; second evaluation reused the engine "
                 f"({again:.1f}s); engine share 0.85 of the GPU (its own process)")
    return line


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cpu", action="store_true", help="Run on the CPU with tiny step counts (self-test).")
    parser.add_argument("--model", default="smollm2-135m-instruct", help="Model spec (default: the embedded one).")
    parser.add_argument("--keep", type=Path, help="Keep the work directory here (default: a temp dir, removed).")
    args = parser.parse_args(argv)

    import torch

    cuda = torch.cuda.is_available() and not args.cpu
    if not cuda and not args.cpu:
        print("gpu_check: no CUDA device; run with --cpu for the CPU self-test", file=sys.stderr)
        return 2
    if args.cpu:
        torch.cuda.is_available = lambda: False  # every toolpast path takes its CPU branch
    steps = {"precision": 2, "sft": 2, "grpo": 1, "tasks": 2, "tokens": 16, "length": 128} if args.cpu else \
        {"precision": 5, "sft": 20, "grpo": 4, "tasks": 32, "tokens": 48, "length": 320}
    vllm = cuda and find_spec("vllm") is not None
    from toolpast.models import resolve_model

    device = torch.cuda.get_device_name(0) if cuda else "cpu"
    print(f"gpu_check: device {device}, torch {torch.__version__}, model {args.model}, "
          f"vLLM {'importable' if vllm else 'not installed' if find_spec('vllm') is None else 'not used on CPU'}")
    work = args.keep or Path(tempfile.mkdtemp(prefix="gpu_check-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, str] = {}
    failed: list[str] = []
    parts = [
        ("precision", lambda m: check_precision(m, work / "precision", steps["precision"], cuda)),
        ("sft", lambda m: check_sft(m, work, steps["sft"], cuda, steps["length"])),
        ("grpo", lambda m: check_grpo(m, work, steps["grpo"], cuda, vllm, steps["tokens"])),
        ("eval hf", lambda m: check_eval(m, work, steps["tasks"], cuda, "hf", steps["tokens"])),
    ]
    if vllm:
        parts.append(("eval vllm", lambda m: check_eval(m, work, steps["tasks"], cuda, "vllm", steps["tokens"])))
    try:
        model_dir = resolve_model(args.model)
        for name, part in parts:
            started = time.perf_counter()
            try:
                results[name] = part(model_dir)
                print(f"{name}: OK ({time.perf_counter() - started:.0f}s) {results[name]}", flush=True)
            except Exception as error:  # noqa: BLE001 - a failed part is reported, the others still run
                failed.append(name)
                traceback.print_exc()
                print(f"{name}: FAILED ({type(error).__name__}: {error})", flush=True)
        if not vllm:
            print("vLLM: not installed, not run" if find_spec("vllm") is None else "vLLM: not run on the CPU")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    verdict = "FAILED " + ", ".join(failed) if failed else "OK"
    ran = ", ".join(results) + ("" if vllm else "; vllm not run")
    print(f"gpu_check summary: {verdict} on {device} ({ran})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
