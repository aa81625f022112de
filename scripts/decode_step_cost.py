"""What one decode step costs at batch 1 and at batch B on this machine: the physical bound on
`toolpast bench throughput`'s `speedup` (batched over one episode at a time).

A batch of B episodes takes as many decode steps as its longest reply chain, while one episode at a time takes
each episode's own tokens at the batch-1 step cost. With the per-step costs printed here, the best `speedup` the
batched loop can reach on a budget of T turns x N tokens is about

    B * mean_tokens * step_1  /  (T * N * step_B)

(mean_tokens: an episode's model tokens; prefill and turn boundaries only lower it).

    .venv/bin/python scripts/decode_step_cost.py [--batch 16] [--prompt 300] [--steps 32]
"""

from __future__ import annotations

import argparse
import statistics
import time


def step_cost(model, batch: int, prompt: int, steps: int, repeats: int) -> tuple[float, float]:
    """(prefill seconds, seconds per decode step), medians of `repeats`, greedy, EOS ignored."""
    import torch

    ids = torch.randint(100, 1000, (batch, prompt), generator=torch.Generator().manual_seed(0))
    mask = torch.ones_like(ids)

    def timed(new_tokens: int) -> float:
        started = time.perf_counter()
        with torch.no_grad():
            model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new_tokens,
                           min_new_tokens=new_tokens, do_sample=False, pad_token_id=0)
        return time.perf_counter() - started

    timed(2)  # warm-up
    prefill = statistics.median(timed(1) for _ in range(repeats))
    total = statistics.median(timed(steps) for _ in range(repeats))
    return prefill, (total - prefill) / (steps - 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--prompt", type=int, default=300, help="Prompt tokens per row (a first turn: ~300).")
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    from toolpast.models import load_model, resolve_model

    model = load_model(resolve_model(args.model), dtype="float32", device="cpu")
    costs = {}
    for batch in (1, args.batch):
        prefill, step = step_cost(model, batch, args.prompt, args.steps, args.repeats)
        costs[batch] = step
        print(f"batch {batch}: prefill {prefill * 1e3:.0f} ms, decode step {step * 1e3:.1f} ms, "
              f"{batch / step:.1f} tokens/s")
    print(f"step_cost_ratio: {costs[args.batch] / costs[1]:.2f} (batch {args.batch} over batch 1; "
          f"decode tokens/s gain {args.batch * costs[1] / costs[args.batch]:.2f}x)")


if __name__ == "__main__":
    main()
