"""Rung (a) alone: does a target SFT budget teach the category? Base and target SFT on one category, no source stages.

The transfer table's ladder says knowledge (rung a) is where the cpu preset fails; testing a bigger SFT budget
through `toolpast sweep` would also rebuild the source SFT and GRPO (~30 min) before the answer. This builds only
the target's SFT stages (cached in $TOOLPAST_HOME like every stage) and evaluates base and SFT with the knowledge
probes, on the validation split by default (tuning never looks at the reported test tasks). The SFT model's path
is printed, so a skill vector can be injected into it with `toolpast skill inject` and scored with `toolpast eval`.

    python scripts/target_sft_probe.py science --set sft.steps=30 --set sft.trajectories.steps=15
"""

from __future__ import annotations

import argparse
import json

from toolpast.overrides import apply_overrides
from toolpast.stages.model_ref import Model
from toolpast.tooluse.pipeline import check_config, prepare
from toolpast.tooluse.presets import get_preset

SHOWN = ("successes", "n", "success_rate", "finished_rate", "valid_call_rate", "api_recall",
         "error_observation_rate", "mean_steps", "knowledge_accuracy", "knowledge_n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("category", help="Native category whose target SFT is probed.")
    parser.add_argument("--preset", default="cpu", help="Starting config (default cpu).")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="PATH=VALUE",
                        help="Config override, as for `toolpast run` (repeatable).")
    parser.add_argument("--split", default="validation", choices=("validation", "test"),
                        help="Tasks evaluated (default validation: never the reported test tasks).")
    args = parser.parse_args(argv)
    cfg = get_preset(args.preset).model_copy(update={"target": args.category.lower()})
    cfg = apply_overrides(cfg, [f"eval.split={args.split}", *args.sets])
    check_config(cfg)
    stages = prepare(cfg)
    sft = stages.knowledge_sft("sft_target", [cfg.target], stages.base)
    for label, model in (("base", stages.base), ("sft", Model.of(sft))):
        outputs = stages.evaluate(label, model, cfg.target, "closed").outputs
        print(json.dumps({"category": cfg.target, "model": label, "split": args.split, "sets": args.sets,
                          **{k: outputs.get(k) for k in SHOWN}}))
    print(f"sft model: {Model.of(sft).path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
