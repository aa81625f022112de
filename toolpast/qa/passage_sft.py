"""Single-passage knowledge SFT in memory: a fresh LoRA per passage, merged, evaluated, then thrown away.

SEAL's inner loop (its TTT server) trains a temporary LoRA adapter on one passage's documents and evaluates it;
200 passages x several knowledge sources means hundreds of adapters. Writing each as a full checkpoint (what
`toolpast.stages.sft.run_sft` does for a pipeline stage) would cost a model's size on disk and a save/load per
passage, so here the base model stays in memory: `PassageAdapter.adapted(texts)` injects a LoRA (peft), trains it
with a plain AdamW loop (loss on every token, as SEAL's `end_mask_substring=""`), merges it into the weights, and
on exit restores the base weights bit for bit from a snapshot taken once.

PaST on top of that model is `add_vector`: theta = theta_sft + lam * v, computed per tensor in fp32 and cast to the
parameter's dtype, exactly the arithmetic of the streaming `toolpast.vectors.inject_skill_vector` (tests check the
two agree bit for bit), so the in-memory and on-disk paths give the same model.
"""

from __future__ import annotations

import math
import random
from contextlib import contextmanager
from pathlib import Path

import torch

from toolpast.qa.config import PassageSFTConfig


def load_vector(vector_dir: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """A skill vector written by `extract_skill_vector`, in fp32 on the CPU, and its tied-name aliases."""
    from toolpast.vectors.checkpoint import Checkpoint
    from toolpast.vectors.manifest import VECTOR_INDEX, VectorManifest

    manifest = VectorManifest.load(vector_dir)
    with Checkpoint(vector_dir, index_name=VECTOR_INDEX, single_name="vector.safetensors") as vec:
        tensors = {name: vec.get(name).to(torch.float32) for name in vec.names}
    return tensors, dict(manifest.tied)


class PassageAdapter:
    """The base model in memory, adapted per passage and restored afterwards."""

    def __init__(self, model, tokenizer):
        self.model, self.tokenizer = model, tokenizer
        self._snapshot = {name: p.detach().clone() for name, p in model.named_parameters()}
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

    def restore(self) -> None:
        """Put the base weights back exactly (after training and after `add_vector`)."""
        with torch.no_grad():
            for name, p in self.model.named_parameters():
                p.copy_(self._snapshot[name])

    @contextmanager
    def adapted(self, texts: list[str], cfg: PassageSFTConfig, seed: int):
        """Train a fresh LoRA on `texts`, merge it, yield the training stats; the base is restored on exit."""
        try:
            yield self._train(texts, cfg, seed)
        finally:
            self.restore()

    def _batches(self, texts: list[str], cfg: PassageSFTConfig, rng: random.Random):
        eos = self.tokenizer.eos_token_id
        encoded = [self.tokenizer(t, add_special_tokens=True)["input_ids"][:cfg.max_length - 1] + [eos]
                   for t in texts]
        order = list(range(len(encoded)))
        rng.shuffle(order)
        for start in range(0, len(order), cfg.batch_size):
            rows = [encoded[i] for i in order[start:start + cfg.batch_size]]
            width = max(len(r) for r in rows)
            ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
            labels = torch.full((len(rows), width), -100, dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            for i, r in enumerate(rows):
                ids[i, :len(r)] = labels[i, :len(r)] = torch.tensor(r, dtype=torch.long)
                mask[i, :len(r)] = 1
            yield ids, labels, mask

    def _train(self, texts: list[str], cfg: PassageSFTConfig, seed: int) -> dict:
        from peft import LoraConfig, get_peft_model

        if not texts:
            raise ValueError("passage SFT: no training texts")
        torch.manual_seed(seed)  # LoRA A's init
        lora = LoraConfig(r=cfg.lora_rank, lora_alpha=cfg.lora_alpha, lora_dropout=0.0, task_type="CAUSAL_LM",
                          target_modules="all-linear")
        peft_model = get_peft_model(self.model, lora)
        params = [p for p in peft_model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=0.0)
        steps = cfg.epochs * math.ceil(len(texts) / cfg.batch_size)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1.0 - step / steps))
        device = next(self.model.parameters()).device
        rng, losses = random.Random(seed), []
        was_training = self.model.training
        peft_model.train()
        try:
            for _ in range(cfg.epochs):
                for ids, labels, mask in self._batches(texts, cfg, rng):
                    out = peft_model(input_ids=ids.to(device), attention_mask=mask.to(device),
                                     labels=labels.to(device))
                    out.loss.backward()
                    torch.nn.utils.clip_grad_norm_(params, 1.0)
                    optimizer.step()
                    schedule.step()
                    optimizer.zero_grad(set_to_none=True)
                    losses.append(float(out.loss.detach()))
        finally:
            merged = peft_model.merge_and_unload()
            if merged is not self.model:  # peft returns the same module with its LoRA layers merged away
                raise RuntimeError("peft merge_and_unload returned a different model object")
            self.model.train(was_training)
            for p in self.model.parameters():
                p.requires_grad_(False)
        return {"steps": len(losses), "first_loss": round(losses[0], 4) if losses else None,
                "last_loss": round(losses[-1], 4) if losses else None}

    def add_vector(self, vector: dict[str, torch.Tensor], tied: dict[str, str], lam: float) -> float | None:
        """theta += lam * v in place (fp32 sum, cast back); returns ||applied|| / ||lam v|| (None if lam v = 0).
        A sum holding inf or nan is refused (NonFiniteModel) before it reaches the parameter, as on disk."""
        from toolpast.models.finite import is_finite
        from toolpast.vectors.errors import NonFiniteModel

        params = dict(self.model.named_parameters())
        pairs = {}
        for name in params:
            if name in vector:
                pairs[name] = name
            elif name in tied and tied[name] in vector:
                pairs[name] = tied[name]
        missing = sorted(set(vector) - set(pairs.values()))
        if missing:
            raise ValueError(f"skill vector tensors {missing[:3]} have no parameter of that name in the model")
        applied_sq = wanted_sq = 0.0
        with torch.no_grad():
            for name, vname in pairs.items():
                p = params[name]
                v = vector[vname]
                if v.shape != p.shape:
                    raise ValueError(f"skill vector {vname} has shape {tuple(v.shape)}, parameter {name} "
                                     f"{tuple(p.shape)}")
                theta = v.to(p.device, torch.float32) * lam
                wanted_sq += float(theta.double().pow(2).sum())
                theta.add_(p.to(torch.float32))
                new = theta.to(p.dtype)
                if not is_finite(new):
                    cause = ("the passage SFT weights already hold it (passage_sft.learning_rate too high?)"
                             if not is_finite(p) else f"lambda {lam:g} * v overflows {p.dtype}: lower lambda")
                    raise NonFiniteModel("PaST injection (in memory)", name, cause)
                applied_sq += float((new.to(torch.float32) - p.to(torch.float32)).double().pow(2).sum())
                p.copy_(new)
        return math.sqrt(applied_sq / wanted_sq) if wanted_sq > 0 else None
