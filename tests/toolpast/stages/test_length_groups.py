"""GRPO's length-grouped log-probability passes give TRL's own numbers and gradients, over less padding."""

from __future__ import annotations

from contextlib import nullcontext
from types import SimpleNamespace

import pytest
import torch

from toolpast.stages.length_groups import grouped_token_logps, length_groups

PAD = 0


def padded_batch(prompt_lengths, completion_lengths, vocab: int, seed: int = 0):
    """TRL's layout: prompts left-padded to the longest prompt, completions right-padded to the longest."""
    generator = torch.Generator().manual_seed(seed)
    width_p, width_c = max(prompt_lengths), max(completion_lengths)
    rows = len(prompt_lengths)
    ids = torch.full((rows, width_p + width_c), PAD, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, (p, c) in enumerate(zip(prompt_lengths, completion_lengths)):
        ids[row, width_p - p:width_p + c] = torch.randint(1, vocab, (p + c,), generator=generator)
        mask[row, width_p - p:width_p + c] = 1
    return ids, mask, width_c


def test_groups_hold_similar_lengths_and_only_the_columns_they_use():
    _, mask, keep = padded_batch([5, 5, 3, 5, 3, 5], [40, 10, 38, 9, 2, 30], vocab=10)
    start = mask.shape[1] - keep
    groups = length_groups(mask, start, max_rows=8)
    assert [group.rows for group in groups] == [(0, 2, 5), (1, 3), (4,)]  # longest first, ties by row
    assert [(group.start, group.stop) for group in groups] == [(0, 45), (0, 15), (2, 7)]
    assert sorted(row for group in groups for row in group.rows) == list(range(6))
    # the padded work: 3 x 45 + 2 x 15 + 1 x 5 columns against TRL's 6 x 45
    assert sum(group.tokens for group in groups) == 170 < 6 * mask.shape[1]
    assert [group.rows for group in length_groups(mask, start, max_rows=2)] == [(0, 2), (5,), (1, 3), (4,)]


def test_every_group_keeps_a_column_before_the_completion_and_one_in_it():
    mask = torch.tensor([[0, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]])
    groups = length_groups(mask, completion_start=3, max_rows=4)
    # row 0 has no completion token, row 2 no token at all: both still span columns 2..3
    assert [(g.rows, g.start, g.stop) for g in groups] == [((1,), 0, 5), ((0,), 1, 4), ((2,), 2, 4)]


@pytest.fixture(scope="module")
def fused_model(tiny_model_dir):
    from trl.trainer.utils import add_fused_lm_head

    from toolpast.models import load_model

    model = load_model(tiny_model_dir, dtype="float32")
    model.eval()  # no dropout: both passes must see the same network
    add_fused_lm_head(model, temperature=0.8, outputs=("log_probs", "entropy"))
    return model


@pytest.mark.parametrize("max_rows", [None, 2])
def test_the_grouped_pass_equals_trls_pass_in_values_and_gradients(fused_model, max_rows):
    from trl import GRPOTrainer

    ids, mask, keep = padded_batch([7, 7, 7, 4, 4, 4], [60, 12, 3, 55, 20, 8],
                                   vocab=fused_model.config.vocab_size)
    completion_mask = mask[:, -keep:].float()
    assert len(length_groups(mask, mask.shape[1] - keep, max_rows or 6)) >= 3  # several cut passes, not TRL's one
    trl_self = SimpleNamespace(accelerator=SimpleNamespace(autocast=nullcontext, is_main_process=True))

    def scored(grouped: bool):
        fused_model.zero_grad()
        if grouped:
            logps, entropy = grouped_token_logps(fused_model, ids, mask, keep, max_rows=max_rows,
                                                 compute_entropy=True)
        else:
            logps, entropy, _ = GRPOTrainer._get_per_token_logps_and_entropies(
                trl_self, fused_model, ids, mask, keep, batch_size=max_rows, compute_entropy=True)
        (logps * completion_mask).sum().backward()
        grads = {name: p.grad.clone() for name, p in fused_model.named_parameters() if p.grad is not None}
        return logps.detach(), entropy.detach(), grads

    trl_logps, trl_entropy, trl_grads = scored(grouped=False)
    logps, entropy, grads = scored(grouped=True)
    assert logps.shape == trl_logps.shape == (6, keep)
    assert torch.count_nonzero(trl_logps * completion_mask) > 100  # real scores, not all masked
    torch.testing.assert_close(logps * completion_mask, trl_logps * completion_mask, atol=2e-5, rtol=1e-5)
    torch.testing.assert_close(entropy * completion_mask, trl_entropy * completion_mask, atol=2e-5, rtol=1e-5)
    assert grads.keys() == trl_grads.keys() and grads
    for name, grad in grads.items():
        torch.testing.assert_close(grad, trl_grads[name], atol=1e-5, rtol=1e-4, msg=name)

