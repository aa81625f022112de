"""A sparsified skill vector: per tensor, the largest-magnitude share `keep` of v's entries, the rest set to 0,
and the kept ones scaled so that the tensor's L2 norm is the dense tensor's.

Work on RL weight deltas (RELEX, DoTS, RAM; 2026) reports that RL's update lives in few large entries and that
keeping the top ~30% by magnitude per tensor, norm restored, transfers better than the dense delta. Here it is
a variant beside the dense vector (RunConfig.vector_keep), never a replacement: the leaderboard records `keep`
on each PaST entry it produced.

Exact top-k per tensor (`torch.topk` on |v|): ties at the threshold are broken by topk, so exactly
ceil(keep * n) entries are kept. Memory: one shard of the vector at a time (its tensors in fp32 plus their
sparsified copies; shards are at most 5 GB), so a 7B vector in fp32 needs ~2x its largest shard.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

from toolpast.file_record import utc_now
from toolpast.io import staged_dir
from toolpast.models.identity import record_weights_sha256
from toolpast.vectors.checkpoint import Checkpoint, weights_sha256
from toolpast.vectors.manifest import VECTOR_INDEX, VECTOR_STEM, Sparsity, TensorEntry, VectorManifest


def sparsify_tensor(v, keep: float):
    """(the sparsified tensor, in fp32, and its count of exact zeros): the ceil(keep * n) entries of largest
    magnitude, scaled by ||v|| / ||kept||; an all-zero tensor stays all zeros."""
    import torch

    flat = v.reshape(-1).to(torch.float32)
    k = min(flat.numel(), max(1, math.ceil(keep * flat.numel())))
    out = torch.zeros_like(flat)
    index = torch.topk(flat.abs(), k, sorted=False).indices
    kept = flat[index]
    dense_norm, kept_norm = torch.linalg.vector_norm(flat), torch.linalg.vector_norm(kept)
    if kept_norm > 0:
        out[index] = kept * (dense_norm / kept_norm)
    return out.reshape(v.shape), int(flat.numel() - torch.count_nonzero(out))


def sparsify_skill_vector(vector_dir: str | Path, out_dir: str | Path, keep: float, *,
                          overwrite: bool = False) -> VectorManifest:
    """Write the sparsified copy of the skill vector in `vector_dir` to `out_dir` (same shards, index and dtype;
    a manifest recording `sparsity`). `keep` in (0, 1]; 1 copies the dense values (norm unchanged)."""
    import torch
    from safetensors import safe_open
    from safetensors.torch import save_file

    if not 0 < keep <= 1:
        raise ValueError(f"keep must be in (0, 1], got {keep}")
    vector_dir = Path(vector_dir)
    dense = VectorManifest.load(vector_dir)
    if dense.sparsity is not None:
        raise ValueError(f"{vector_dir} is already sparsified (keep {dense.sparsity.keep}); sparsify the dense vector")
    entries: dict[str, TensorEntry] = {}
    total_sq = 0.0
    with staged_dir(out_dir, overwrite=overwrite) as tmp:
        for shard in dense.shard_files:
            tensors = {}
            with safe_open(str(vector_dir / shard), framework="pt") as f:
                metadata = f.metadata() or {}
                for name in f.keys():
                    v = f.get_tensor(name)
                    sparse, zeros = sparsify_tensor(v, keep)
                    norm = float(torch.linalg.vector_norm(sparse))
                    total_sq += norm * norm
                    entries[name] = TensorEntry(shape=list(v.shape), l2_norm=norm, zeros=zeros)
                    tensors[name] = sparse.to(v.dtype).contiguous()
            save_file(tensors, str(tmp / shard), metadata=metadata)
            del tensors
        if (vector_dir / VECTOR_INDEX).is_file():
            shutil.copyfile(vector_dir / VECTOR_INDEX, tmp / VECTOR_INDEX)
        with Checkpoint(tmp, index_name=VECTOR_INDEX, single_name=f"{VECTOR_STEM}.safetensors") as written:
            digest = weights_sha256(written)
        record_weights_sha256(tmp, digest)
        dense_zeros = sum(e.zeros for e in dense.tensors.values()) if all(
            e.zeros is not None for e in dense.tensors.values()) else None
        manifest = dense.model_copy(update={
            "tensors": entries, "total_l2_norm": math.sqrt(total_sq), "weights_sha256": digest, "created_at": utc_now(),
            "sparsity": Sparsity(keep=keep, dense_weights_sha256=dense.weights_sha256, dense_zeros=dense_zeros)})
        manifest.write(tmp)
    return manifest
