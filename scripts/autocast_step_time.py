"""Time one SmolLM2-135M training step (forward + backward, 4 x 600 random tokens) in fp32 and under CPU bf16
autocast over fp32 weights, alternating twice; then a 3-forward prefill of 4 x 300 tokens each way.
Why: the cpu preset's `bf16_autocast` switches rest on this ratio (docs/pipeline.md).
Run: .venv/bin/python scripts/autocast_step_time.py
"""

import time

import torch

from toolpast.models import load_model, resolve_model

model = load_model(resolve_model("smollm2-135m-instruct"), dtype="float32")
ids = torch.randint(0, 1000, (4, 600))


def train_step(autocast: bool) -> float:
    start = time.time()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    model.zero_grad()
    return time.time() - start


for autocast in (False, True, False, True):
    print("train step", "autocast" if autocast else "fp32", round(train_step(autocast), 2), "s")
with torch.no_grad():
    for autocast in (False, True, False, True):
        start = time.time()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            for _ in range(3):
                model(input_ids=ids[:, :300])
        print("prefill", "autocast" if autocast else "fp32", round(time.time() - start, 2), "s")
