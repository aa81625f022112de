"""Does torch's thread count move training numbers on this CPU? One bf16-autocast forward/backward of the default
model with 1 and with 2 threads; prints both losses and the largest gradient and logit differences. Why: sweeps
run as several 1-thread shards, and their numbers must equal a 2-thread run's.
Usage: python scripts/thread_determinism.py"""
import os
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM

home = Path(os.environ.get("TOOLPAST_HOME", Path.home() / ".cache" / "toolpast"))
model = AutoModelForCausalLM.from_pretrained(home / "models" / "smollm2-135m-instruct", torch_dtype=torch.float32)
ids = torch.randint(0, 1000, (4, 200), generator=torch.Generator().manual_seed(0))
out = {}
for threads in (1, 2):
    torch.set_num_threads(threads)
    model.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = model(ids, labels=ids).loss
    loss.backward()
    grad = model.model.layers[0].self_attn.q_proj.weight.grad.clone()
    with torch.no_grad():
        logits = model(ids[:1]).logits
    out[threads] = (loss.item(), grad, logits)
print("loss", out[1][0], out[2][0])
print("grad maxdiff", (out[1][1] - out[2][1]).abs().max().item(),
      "logit maxdiff", (out[1][2] - out[2][2]).abs().max().item())
