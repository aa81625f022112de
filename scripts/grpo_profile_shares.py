"""Where a GRPO step's time goes: the share of a py-spy profile of a running `toolpast rl` in each phase.

Sample the running stage without pausing it (py-spy is not a dependency; `pip install py-spy`), over a few steps:

    py-spy record --nonblocking --rate 5 --duration 480 --format raw --pid $(pgrep -f "toolpast rl") -o prof.txt
    python scripts/grpo_profile_shares.py prof.txt

Phases, by the outermost frame that names one: the multi-turn rollout (toolpast's `run_episodes`), the loss's
forward (TRL's `compute_loss`), its backward (`Accelerator.backward`), TRL's extra log-probability passes before
the loss (`_generate_and_score_completions` > `_get_per_token_logps_and_entropies`: the reference model's under
beta > 0, and the policy's own under vLLM's importance-sampling correction), the optimizer step, the rest.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

PHASES = (  # (phase, frame names that must all be on the stack, outermost first)
    ("rollout", ("run_episodes",)),
    ("logprob passes before the loss", ("_generate_and_score_completions", "_get_per_token_logps_and_entropies")),
    ("loss backward", ("Accelerator.backward",)),
    ("loss forward", ("GRPOTrainer.compute_loss",)),
    ("optimizer step", ("AcceleratedOptimizer.step",)),
)


def phase_of(frames: list[str]) -> str:
    """The phase of one sampled stack (frame names without their file:line)."""
    for name, needed in PHASES:
        if all(any(frame.endswith(part) for frame in frames) for part in needed):
            return name
    return "other"


def shares(raw: str) -> tuple[Counter, int]:
    """(samples per phase, total samples) of py-spy's raw format: `frame;frame;... count` per line."""
    counts: Counter = Counter()
    for line in raw.splitlines():
        stack, _, n = line.rstrip().rpartition(" ")
        if not stack or not n.isdigit():
            continue
        counts[phase_of([frame.split(" (")[0] for frame in stack.split(";")])] += int(n)
    return counts, sum(counts.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path, help="py-spy's --format raw output")
    args = parser.parse_args(argv)
    counts, total = shares(args.profile.read_text())
    if not total:
        print(f"error: no samples in {args.profile} (py-spy's --format raw output expected)", file=sys.stderr)
        return 2
    for name, n in counts.most_common():
        print(f"{name:32s} {100 * n / total:5.1f}%")
    print(f"samples: {total}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
