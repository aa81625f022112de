"""Real DeepSpeed on CPU: does a ZeRO stage model get saved from its fp32 master weights?

Not part of the test suite (DeepSpeed is not a dependency): the suite fakes DeepSpeed at its edge
(tests/toolpast/stages/test_zero3_save.py); this script runs the real engine with DeepSpeed's CPU accelerator over
gloo. One AdamW step at lr 1e-6 in bf16 mode, then toolpast's `save_full_model`; it prints how many saved tensors
equal the engine's fp32 master weights (`safe_get_full_fp32_param`) and how many equal the bf16 module (should be
all and none). DeepSpeed built from source without ops is enough: `DS_BUILD_OPS=0 pip install --target /tmp/ds
deepspeed`, then

    PYTHONPATH=/tmp/ds python scripts/deepspeed_fp32_save_check.py <model dir> <work dir> 3 [offload]
    PYTHONPATH=/tmp/ds python -m torch.distributed.run --nproc_per_node 2 \
        scripts/deepspeed_fp32_save_check.py <model dir> <work dir> 3 offload
(model dir: e.g. the tiny-random model in $TOOLPAST_HOME/models; stage: 1, 2 or 3).
"""

import json
import os
import sys
from pathlib import Path

import torch

os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
os.environ.setdefault("MASTER_PORT", "29533")
os.environ.setdefault("RANK", "0")
os.environ.setdefault("LOCAL_RANK", "0")
os.environ.setdefault("WORLD_SIZE", "1")
os.environ["DS_ACCELERATOR"] = "cpu"

import deepspeed  # noqa: E402
from deepspeed.utils import safe_get_full_fp32_param  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

from toolpast.stages.training import ZERO_CHECKPOINT_DIR, save_full_model  # noqa: E402


class _Accelerator:
    """The two accelerator methods save_full_model uses, over DeepSpeed's own communicator."""

    is_main_process = int(os.environ["RANK"]) == 0

    def wait_for_everyone(self):
        deepspeed.comm.barrier()

    def unwrap_model(self, model):
        return model


def main() -> None:
    src, work = Path(sys.argv[1]), Path(sys.argv[2])
    stage = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    offload = len(sys.argv) > 4 and sys.argv[4] == "offload"
    work.mkdir(parents=True, exist_ok=True)
    model = AutoModelForCausalLM.from_pretrained(src, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(src)
    cfg = {"train_micro_batch_size_per_gpu": 1, "gradient_accumulation_steps": 1, "bf16": {"enabled": True},
           "zero_optimization": {"stage": stage, **({"offload_optimizer": {"device": "cpu"}} if offload else {})},
           "zero_allow_untested_optimizer": True, "zero_force_ds_cpu_optimizer": False}
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-6, weight_decay=0.0)
    engine, *_ = deepspeed.initialize(model=model, optimizer=optimizer, config=cfg)
    ids = torch.tensor([[1, 5, 9, 13, 17, 21, 25, 29]])
    engine.backward(engine(input_ids=ids, labels=ids).loss)
    engine.step()
    master = {n: safe_get_full_fp32_param(p).clone() for n, p in engine.module.named_parameters()}
    with deepspeed.zero.GatheredParameters(list(engine.module.parameters()), enabled=stage == 3):
        lowp = {n: p.detach().clone() for n, p in engine.module.named_parameters()}

    trainer = type("Trainer", (), {"is_deepspeed_enabled": True, "model_wrapped": engine,
                                   "accelerator": _Accelerator()})()
    save_full_model(engine.module, tokenizer, work / "model", trainer)
    if not _Accelerator.is_main_process:
        print(json.dumps({"rank": os.environ["RANK"], "wrote": (work / "model").exists()}))
        return
    saved = load_file(work / "model" / "model.safetensors")
    print(json.dumps({
        "stage": stage, "world": os.environ["WORLD_SIZE"], "offload": offload, "tensors": len(saved),
        "equal_to_fp32_master": sum(torch.equal(saved[n], master[n]) for n in saved),
        "equal_to_bf16_module": sum(torch.equal(saved[n], lowp[n].float()) for n in saved),
        "dtypes": sorted({str(t.dtype) for t in saved.values()}),
        "module_dtype": str(next(iter(lowp.values())).dtype),
        "tmp_left": (work / ZERO_CHECKPOINT_DIR).exists(),
        "config_dtype": json.loads((work / "model" / "config.json").read_text()).get("dtype")}))


if __name__ == "__main__":
    main()
