"""What TRL's extra log-probability pass costs next to a GRPO training pass, on this machine.

With vLLM rollouts and `vllm_importance_sampling_correction` on, TRL computes the policy's log-probability of
every sampled token in a no-grad forward over the step's whole batch ("old_per_token_logps"); with the hf rollout
the sampler is the policy and that pass is skipped. This times both on one batch: a no-grad forward and a
forward + backward, each with the log-softmax over the completion tokens as TRL's loss takes it. Their ratio is
the share of a step's training time that the vLLM path adds (docs/results.md, "vLLM on the CPU").

    .venv/bin/python scripts/logprob_pass_cost.py [--batch 8] [--length 500] [--completion 200]
"""

from __future__ import annotations

import argparse
import statistics
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--batch", type=int, default=8, help="Sequences per step (the bench's GRPO step: 2 x 4).")
    parser.add_argument("--length", type=int, default=500, help="Tokens per sequence, prompt + completion.")
    parser.add_argument("--completion", type=int, default=200, help="Completion tokens scored per sequence.")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    import torch

    from toolpast.models import load_model, resolve_model

    model = load_model(resolve_model(args.model), dtype="float32", device="cpu")
    ids = torch.randint(100, 1000, (args.batch, args.length), generator=torch.Generator().manual_seed(0))

    def scored():
        return model(input_ids=ids, logits_to_keep=args.completion).logits.log_softmax(-1)[..., 0].sum()

    def logprob_pass():
        with torch.no_grad():
            scored()

    def training_pass():
        model.zero_grad(set_to_none=True)
        scored().backward()

    times: dict[str, list[float]] = {"logprob pass": [], "forward + backward": []}
    for _ in range(args.repeats):  # interleaved: a shared host's drift moves both alike
        for name, fn in (("logprob pass", logprob_pass), ("forward + backward", training_pass)):
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f"{name}: {value:.2f} s (median of {args.repeats}, batch {args.batch} x {args.length} tokens)")
    print(f"logprob_pass_ratio: {medians['logprob pass'] / medians['forward + backward']:.3f}")


if __name__ == "__main__":
    main()
