"""Read-only, tensor-at-a-time view of a Hugging Face checkpoint directory.

Skill vectors must work on 7B models on machines that cannot hold two of them, so nothing here loads a whole
state dict: names, shapes and dtypes come from the safetensors headers, and tensors are read one at a time
(`get`, with `safetensors.safe_open`, for torch callers; the streaming extract/inject read raw byte ranges of
the files through `toolpast.vectors.rawio` instead). Only safetensors are accepted: `.bin`/`.pt` files are
pickles, which execute code on load and give no way to read one tensor without reading all of them.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolpast.vectors.errors import CheckpointFormatError
from toolpast.vectors.meter import ResidencyMeter

if TYPE_CHECKING:
    import torch

MODEL_INDEX = "model.safetensors.index.json"
MODEL_SINGLE = "model.safetensors"

# Files that hold weights (in any format). Never copied as "non-weight" files, and the pickle ones are refused.
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
WEIGHT_SUFFIXES = (".safetensors", ".h5", ".msgpack", ".gguf", ".npz", *PICKLE_SUFFIXES)

# safetensors dtype codes: bytes per element, and which hold floating-point values. Kept torch-free so that the
# streaming extract/inject path (numpy only) starts without importing torch (~2 s of every CLI call).
ITEMSIZE: dict[str, int] = {
    "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1,
    "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1,
}  # fmt: skip
FLOAT_CODES = frozenset({"F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2"})
_TORCH_NAMES = {
    "F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16", "F8_E4M3": "float8_e4m3fn",
    "F8_E5M2": "float8_e5m2", "I64": "int64", "I32": "int32", "I16": "int16", "I8": "int8", "U64": "uint64",
    "U32": "uint32", "U16": "uint16", "U8": "uint8", "BOOL": "bool",
}  # fmt: skip


def torch_dtype_of(code: str) -> torch.dtype:
    """The torch dtype of a safetensors dtype code (imports torch)."""
    import torch

    found = getattr(torch, _TORCH_NAMES.get(code, "-"), None)
    if found is None:
        raise CheckpointFormatError(f"unsupported safetensors dtype {code}")
    return found


def st_code_of(dtype: torch.dtype) -> str:
    """The safetensors dtype code of a torch dtype (ValueError when safetensors has none)."""
    name = str(dtype).removeprefix("torch.")
    for code, torch_name in _TORCH_NAMES.items():
        if torch_name == name:
            return code
    raise ValueError(f"safetensors cannot store dtype {dtype}")

_MAX_HEADER_BYTES = 100 * 1024 * 1024
_HASH_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class TensorInfo:
    """Where one tensor lives and what it is, read from a header without touching the data."""

    name: str
    file: Path
    shape: tuple[int, ...]
    dtype: str  # safetensors code, e.g. "BF16"
    begin: int  # absolute byte offsets of the raw data inside `file`
    end: int

    @property
    def torch_dtype(self) -> torch.dtype:
        if self.dtype not in ITEMSIZE:
            raise CheckpointFormatError(f"tensor {self.name!r} in {self.file} has unsupported dtype {self.dtype}")
        return torch_dtype_of(self.dtype)

    @property
    def is_floating(self) -> bool:
        return self.dtype in FLOAT_CODES

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def nbytes(self) -> int:
        return self.end - self.begin


def read_safetensors_header(path: Path) -> tuple[dict[str, dict[str, Any]], dict[str, str], int]:
    """(tensor entries, __metadata__, byte offset where data starts) of one .safetensors file."""
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise CheckpointFormatError(f"{path}: too short to be a safetensors file")
        (n,) = struct.unpack("<Q", raw)
        if n > _MAX_HEADER_BYTES:
            raise CheckpointFormatError(f"{path}: safetensors header of {n} bytes is implausible")
        try:
            header = json.loads(f.read(n))
        except json.JSONDecodeError as e:
            raise CheckpointFormatError(f"{path}: unreadable safetensors header: {e}") from e
    metadata = header.pop("__metadata__", None) or {}
    return header, metadata, 8 + n


def _file_infos(path: Path) -> dict[str, TensorInfo]:
    header, _, start = read_safetensors_header(path)
    out: dict[str, TensorInfo] = {}
    # Order by position in the file so that streaming a checkpoint reads each file front to back.
    for name, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        b, e = entry["data_offsets"]
        info = TensorInfo(name, path, tuple(int(d) for d in entry["shape"]), entry["dtype"], start + b, start + e)
        if info.dtype in ITEMSIZE and info.nbytes != info.numel * ITEMSIZE[info.dtype]:
            raise CheckpointFormatError(
                f"{path}: tensor {name!r} has {info.nbytes} bytes for shape {list(info.shape)} of {info.dtype}"
            )
        out[name] = info
    return out


def refuse_pickles(directory: Path, what: str = "weights") -> None:
    pickles = sorted(p.name for p in directory.iterdir() if p.is_file() and p.name.endswith(PICKLE_SUFFIXES))
    if pickles:
        raise CheckpointFormatError(
            f"{directory} holds {what} only as PyTorch pickles ({', '.join(pickles[:4])}); toolpast reads "
            f"safetensors only (pickles run code on load). Re-save with "
            f"`model.save_pretrained(dir, safe_serialization=True)`."
        )


class Checkpoint:
    """Tensor names -> (shard file, shape, dtype) of a safetensors checkpoint dir, plus one-at-a-time reads.

    Accepts the HF layouts: a sharded checkpoint with `<index_name>`, a single `<single_name>`, or a dir with
    exactly one `.safetensors` file. Only headers are read up front; `get` reads one tensor's data.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        index_name: str = MODEL_INDEX,
        single_name: str = MODEL_SINGLE,
        meter: ResidencyMeter | None = None,
    ) -> None:
        self.path = Path(path)
        self.meter = meter
        if not self.path.is_dir():
            raise CheckpointFormatError(f"{self.path} is not a directory")
        index = self.path / index_name
        single = self.path / single_name
        self.index_file: Path | None = None
        if index.is_file():
            self.index_file = index
            self.tensors = self._from_index(index)
        elif single.is_file():
            self.tensors = _file_infos(single)
        else:
            found = sorted(self.path.glob("*.safetensors"))
            if len(found) == 1:
                self.tensors = _file_infos(found[0])
            elif len(found) > 1:
                raise CheckpointFormatError(
                    f"{self.path} has {len(found)} .safetensors files but no {index_name} saying how they fit together"
                )
            else:
                refuse_pickles(self.path)
                raise CheckpointFormatError(
                    f"{self.path} contains no safetensors weights ({single_name} or {index_name})"
                )

    def _from_index(self, index: Path) -> dict[str, TensorInfo]:
        try:
            weight_map: dict[str, str] = json.loads(index.read_text())["weight_map"]
        except (json.JSONDecodeError, KeyError) as e:
            raise CheckpointFormatError(f"{index}: not a safetensors index (needs a 'weight_map'): {e}") from e
        if any(not f.endswith(".safetensors") for f in weight_map.values()):
            refuse_pickles(self.path)
            raise CheckpointFormatError(f"{index} points at non-safetensors files")
        per_file: dict[str, dict[str, TensorInfo]] = {}
        for fname in dict.fromkeys(weight_map.values()):  # first-seen order
            fpath = self.path / fname
            if not fpath.is_file():
                raise CheckpointFormatError(f"{index} names shard {fname}, which does not exist")
            per_file[fname] = _file_infos(fpath)
        out: dict[str, TensorInfo] = {}
        for fname, infos in per_file.items():  # shard order, then file order: sequential reads
            for name, info in infos.items():
                if weight_map.get(name) == fname:
                    out[name] = info
        missing = [n for n in weight_map if n not in out]
        if missing:
            raise CheckpointFormatError(f"{index} maps {missing[0]!r} to {weight_map[missing[0]]}, which lacks it")
        return out

    # -- introspection -------------------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return list(self.tensors)

    def __contains__(self, name: object) -> bool:
        return name in self.tensors

    def __len__(self) -> int:
        return len(self.tensors)

    def __iter__(self) -> Iterator[str]:
        return iter(self.tensors)

    def info(self, name: str) -> TensorInfo:
        return self.tensors[name]

    @property
    def weight_files(self) -> list[Path]:
        files = list(dict.fromkeys(i.file for i in self.tensors.values()))
        if self.index_file is not None:
            files.append(self.index_file)
        return files

    @property
    def total_bytes(self) -> int:
        return sum(i.nbytes for i in self.tensors.values())

    def config(self, name: str = "config.json") -> dict[str, Any]:
        p = self.path / name
        return json.loads(p.read_text()) if p.is_file() else {}

    def non_weight_files(self) -> list[Path]:
        """Top-level files that are not weights or weight indexes (config, tokenizer, generation config...)."""
        out = []
        for p in sorted(self.path.iterdir()):
            if not p.is_file() or p.name.startswith("."):
                continue
            if p.name.endswith(WEIGHT_SUFFIXES) or p.name.endswith(".index.json"):
                continue
            out.append(p)
        return out

    # -- reading -------------------------------------------------------------------------------------------
    def get(self, name: str) -> torch.Tensor:
        """Read exactly one tensor (counted by the meter, if any). The caller may modify it in place.

        Each call opens its own `safe_open` handle on purpose: safetensors may serve tensors from a private
        (copy-on-write) mmap shared by every read through one handle, so with a cached handle an in-place op
        on one result would leak into the next read of the same tensor (e.g. a tied embedding read twice),
        and the dirtied pages would live as long as the handle. A per-call handle ties them to this tensor.
        """
        from safetensors import safe_open

        info = self.tensors[name]
        with safe_open(str(info.file), framework="pt") as handle:
            t = handle.get_tensor(name)
        if self.meter is not None:
            self.meter.track(t)
        return t

    def close(self) -> None:
        """Nothing is held open between reads; kept so a Checkpoint can be used as a context manager."""

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def weights_sha256(source: Checkpoint | str | Path) -> str:
    """A stable identity of a checkpoint's weights, for provenance.

    sha256 over every tensor, by sorted name: its name, dtype, shape and raw bytes, streamed from the files in
    8 MiB chunks (constant memory). Independent of how the checkpoint is sharded and of header metadata, so a
    re-sharded copy of the same weights has the same identity.
    """
    ckpt = source if isinstance(source, Checkpoint) else Checkpoint(source)
    h = hashlib.sha256()
    h.update(b"toolpast-weights-v1\n")
    files: dict[Path, Any] = {}
    try:
        for name in sorted(ckpt.tensors):
            info = ckpt.tensors[name]
            h.update(json.dumps([name, info.dtype, list(info.shape)]).encode() + b"\n")
            f = files.get(info.file)
            if f is None:
                f = files[info.file] = open(info.file, "rb")
            f.seek(info.begin)
            left = info.nbytes
            while left:
                chunk = f.read(min(_HASH_CHUNK, left))
                if not chunk:
                    raise CheckpointFormatError(f"{info.file} is truncated inside tensor {name!r}")
                h.update(chunk)
                left -= len(chunk)
    finally:
        for f in files.values():
            f.close()
    return "sha256:" + h.hexdigest()
