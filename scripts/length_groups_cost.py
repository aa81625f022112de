"""What the length-grouped log-probability passes save over TRL's padded ones, on one real GRPO step's batch.

Rolls out one step's episodes (2 Movies RL tasks x 6, the cpu preset's budget, temperature 0.8, seeded) with the
given model, lays them out as TRL does (prompts left-padded, completions right-padded to the longest), and times
on that batch, interleaved so that a shared host's drift moves both alike: the loss's forward + backward and a
no-grad pass (the reference model's), each as TRL's `_get_per_token_logps_and_entropies` runs it and as
`toolpast/stages/length_groups.py` does. Prints the tokens each computes and the median times
(docs/results.md, "Cost on a CPU").

    .venv/bin/python scripts/length_groups_cost.py --model M [--repeats 3] [--generations 6]
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import nullcontext
from types import SimpleNamespace


def step_batch(model, tokenizer, generations: int, seed: int):
    """One GRPO step's episodes as TRL's padded (input_ids, attention_mask, logits_to_keep)."""
    import torch

    import toolenv
    from toolpast.rollout.chat_tokens import ChatTokens
    from toolpast.rollout.episodes import run_episodes
    from toolpast.rollout.hf import HFGenerator
    from toolpast.tooluse.presets import get_preset

    cfg = get_preset("cpu").rl
    torch.manual_seed(seed)
    limits = toolenv.EpisodeLimits(max_steps=cfg.max_turns)
    tasks = toolenv.get_category("movies").tasks("train", n=2)
    episodes = [toolenv.Episode(task, book="closed", limits=limits) for task in tasks for _ in range(generations)]
    chat = ChatTokens(tokenizer)
    generator = HFGenerator(model, tokenizer, batch_size=64, temperature=cfg.temperature)
    records = run_episodes(episodes, generator, chat, cfg.max_turns, cfg.max_new_tokens)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else chat.eos_id
    width_p = max(len(r.prompt_ids) for r in records)
    width_c = max(len(r.completion_ids) for r in records)
    ids = torch.full((len(records), width_p + width_c), pad, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, record in enumerate(records):
        p, c = len(record.prompt_ids), len(record.completion_ids)
        ids[row, width_p - p:width_p] = torch.tensor(record.prompt_ids)
        ids[row, width_p:width_p + c] = torch.tensor(record.completion_ids)
        mask[row, width_p - p:width_p + c] = 1
    return ids, mask, width_c


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="A model path or name (e.g. the Movies SFT model).")
    parser.add_argument("--generations", type=int, default=6, help="Rollouts per task (2 tasks).")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import torch
    from trl import GRPOTrainer
    from trl.trainer.utils import add_fused_lm_head

    from toolpast.models import load_model, load_tokenizer, resolve_model
    from toolpast.stages.length_groups import grouped_token_logps, length_groups

    path = resolve_model(args.model)
    model, tokenizer = load_model(path, dtype="float32", device="cpu"), load_tokenizer(path)
    model.eval()
    ids, mask, keep = step_batch(model, tokenizer, args.generations, args.seed)
    add_fused_lm_head(model, temperature=0.8, outputs=("log_probs", "entropy"))
    groups = length_groups(mask, ids.shape[1] - keep, ids.shape[0])
    real = int(mask.sum())
    grouped_tokens = sum(group.tokens for group in groups)
    print(f"batch: {ids.shape[0]} rows x {ids.shape[1]} columns ({ids.shape[1] - keep} prompt + {keep} completion); "
          f"tokens: {real} real, {ids.numel()} padded ({real / ids.numel():.0%} real), {grouped_tokens} in "
          f"{len(groups)} length groups ({real / grouped_tokens:.0%} real)")
    trl_self = SimpleNamespace(accelerator=SimpleNamespace(autocast=nullcontext, is_main_process=True))
    completion = mask[:, -keep:].float()

    def padded(grad: bool):
        with nullcontext() if grad else torch.no_grad():
            logps, _, _ = GRPOTrainer._get_per_token_logps_and_entropies(trl_self, model, ids, mask, keep,
                                                                          compute_entropy=grad)
        return logps

    def grouped(grad: bool):
        with nullcontext() if grad else torch.no_grad():
            logps, _ = grouped_token_logps(model, ids, mask, keep, compute_entropy=grad)
        return logps

    times: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        for name, fn in (("padded", padded), ("grouped", grouped)):
            for grad in (True, False):
                model.zero_grad(set_to_none=True)
                started = time.perf_counter()
                logps = fn(grad)
                if grad:
                    (logps * completion).sum().backward()
                times.setdefault(f"{name} {'forward + backward' if grad else 'no-grad pass'}", []).append(
                    time.perf_counter() - started)
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f"{name}: {value:.2f} s (median of {args.repeats}: {[round(v, 2) for v in times[name]]})")
    for kind in ("forward + backward", "no-grad pass"):
        print(f"grouped_vs_padded ({kind}): {medians[f'padded {kind}'] / medians[f'grouped {kind}']:.2f}")


if __name__ == "__main__":
    main()
