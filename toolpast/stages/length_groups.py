"""GRPO's log-probability passes over groups of similar length, each cut to its own width.

Why: TRL pads a step's sequences to the longest of the whole generation batch (prompts on the left, completions on
the right) and runs each forward over that full width. Multi-turn episodes differ a lot in length (a one-call
Finish beside a six-turn episode with its observations), so on a CPU, where a forward costs in proportion to the
tokens it is given, most of the loss's forward and backward and of the reference model's pass can go to padding.
Here the rows are sorted by length, split into groups of similar length, and each group is run over only the
columns some row of it uses, with the positions it had in the full batch, so every real token sees exactly the
same inputs as in TRL's pass: the same log-probabilities, entropies and gradients, up to the order of floating-point
sums. The outputs keep TRL's shape (zero where a row has no token, which its completion mask already drops).
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

import torch
import torch.nn.functional as F

# A row joins the current group while its length is at least this share of the group's longest: groups waste at
# most a quarter of their width on padding, and a batch of similar lengths stays one pass.
MIN_LENGTH_SHARE = 0.75


@dataclass(frozen=True)
class LengthGroup:
    """Rows of the batch scored together, over columns [start, stop) of the padded batch."""

    rows: tuple[int, ...]
    start: int
    stop: int

    @property
    def tokens(self) -> int:
        """Positions this group's pass computes, padding included."""
        return len(self.rows) * (self.stop - self.start)


def length_groups(attention_mask: torch.Tensor, completion_start: int, max_rows: int,
                  min_length_share: float = MIN_LENGTH_SHARE) -> list[LengthGroup]:
    """Groups of at most `max_rows` rows of similar length, longest first, each with the columns it needs.

    `completion_start`: the first completion column (every group keeps at least one, so each returns scores)."""
    rows, width = attention_mask.shape
    if rows == 0:
        return []
    used = attention_mask.bool()
    columns = torch.arange(width, device=attention_mask.device)
    # every group starts at least one column before the completion (the fused head scores the token after each
    # column, so a group's first column is never scored) and ends at least one after; a row with no token at all
    # (never the case in GRPO) thus counts as those two columns
    first = torch.where(used, columns, width).min(dim=1).values.clamp(max=max(completion_start - 1, 0)).tolist()
    last = torch.where(used, columns + 1, 0).max(dim=1).values.clamp(min=completion_start + 1).tolist()
    order = sorted(range(rows), key=lambda row: (first[row] - last[row], row))  # longest first, stable
    groups: list[list[int]] = []
    for row in order:
        group = groups[-1] if groups else None
        if group and len(group) < max_rows and \
                last[row] - first[row] >= min_length_share * (last[group[0]] - first[group[0]]):
            group.append(row)
        else:
            groups.append([row])
    return [LengthGroup(tuple(group), min(first[row] for row in group), max(last[row] for row in group))
            for group in groups]


def grouped_token_logps(model, input_ids: torch.Tensor, attention_mask: torch.Tensor, logits_to_keep: int,
                        max_rows: int | None = None, compute_entropy: bool = False,
                        autocast=None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Per-token log-probabilities (and entropies) of the last `logits_to_keep` columns, as TRL's
    `GRPOTrainer._get_per_token_logps_and_entropies` computes them, one length group at a time.

    `model` must carry TRL's fused LM head (`trl.trainer.utils.add_fused_lm_head`, which GRPOTrainer adds), whose
    outputs are zero where the label is ignored. `autocast`: a context factory (the trainer's
    `accelerator.autocast`). Differentiable: the groups' graphs join in the returned tensors."""
    rows, width = input_ids.shape
    completion_start = width - logits_to_keep
    logps, entropies, order = [], [], []
    for group in length_groups(attention_mask, completion_start, max_rows or rows):
        index = torch.tensor(group.rows, device=input_ids.device)
        # contiguous copies: a strided slice would reach every linear layer as a slower strided operand
        ids = input_ids.index_select(0, index)[:, group.start:group.stop].contiguous()
        mask = attention_mask.index_select(0, index)[:, group.start:group.stop].contiguous()
        # the positions these tokens had in the full batch (transformers counts them from column 0, pads included,
        # when none are given): exact for absolute position embeddings too, not only for rotary ones, which a
        # uniform shift changes only by rounding
        positions = torch.arange(group.start, group.stop, device=input_ids.device).repeat(len(group.rows), 1)
        keep = group.stop - completion_start
        labels = ids.masked_fill(mask == 0, -100)
        labels[:, :-keep] = -100
        with autocast() if autocast is not None else nullcontext():
            outputs = model(input_ids=ids, attention_mask=mask, position_ids=positions, labels=labels,
                            fused_lm_head=True)
        pad = (0, logits_to_keep - keep)
        logps.append(F.pad(outputs.log_probs[:, -keep:], pad))
        if compute_entropy:
            entropies.append(F.pad(outputs.entropy[:, -keep:], pad))
        order.extend(group.rows)
    inverse = torch.empty(rows, dtype=torch.long, device=input_ids.device)
    inverse[torch.tensor(order, device=input_ids.device)] = torch.arange(rows, device=input_ids.device)
    logp = torch.cat(logps).index_select(0, inverse)
    entropy = torch.cat(entropies).index_select(0, inverse) if compute_entropy else None
    return logp, entropy

