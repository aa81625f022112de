"""Are SFT and RL updates orthogonal? Layer-wise cosines of dSFT = sft - base and dRL = rl - sft.

PaST's premise (arXiv 2601.11258) is that RL moves the weights in directions nearly orthogonal to the knowledge
SFT put there, so the RL update can be carried over to a model SFT'd on other knowledge. The control,
dCtrl = control_sft - base (a second SFT on a different category from the same base), shows what a
non-orthogonal pair looks like: two SFT updates correlate positively. Checkpoints are streamed one tensor at a
time in fp32 (at most four tensors resident), dot products and squared norms accumulate in fp64, and every
coarser cosine (per layer, per module type, overall) is computed from summed dot products and norms, i.e. it is
the cosine of the concatenated sub-vectors, not an average of cosines.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import torch

from toolpast.analysis.align import align_checkpoints
from toolpast.analysis.dots import dot64, sq64
from toolpast.analysis.heatmap import write_heatmap
from toolpast.analysis.modules import layer_index, module_sort_key, module_type
from toolpast.analysis.records import Cell, GroupStats, OrthogonalityReport, Sums, TensorStats
from toolpast.vectors.checkpoint import Checkpoint
from toolpast.vectors.meter import ResidencyMeter, tracked

REPORT_JSON = "orthogonality.json"
REPORT_PNG = "orthogonality.png"


def tensor_sums(base: torch.Tensor, sft: torch.Tensor, rl: torch.Tensor, control: torch.Tensor | None) -> Sums:
    """The sums of one tensor. Takes ownership of fp32 `sft`, `rl` and `control` (they become the updates)."""
    d_rl = rl.sub_(sft)
    d_sft = sft.sub_(base)
    sums = Sums(
        numel=base.numel(), sq_base=sq64(base), sq_sft=sq64(d_sft), sq_rl=sq64(d_rl), dot_sft_rl=dot64(d_sft, d_rl)
    )
    if control is not None:
        d_ctrl = control.sub_(base)
        sums.sq_control, sums.dot_sft_control = sq64(d_ctrl), dot64(d_sft, d_ctrl)
    return sums


def _fp32(ckpt: Checkpoint, name: str) -> torch.Tensor:
    t = ckpt.get(name)
    return tracked(ckpt.meter, t.to(torch.float32))  # `t` itself when fp32; fresh either way: ours to modify


def analyze_orthogonality(
    base_dir: str | Path,
    sft_dir: str | Path,
    rl_dir: str | Path,
    out_dir: str | Path,
    control_sft_dir: str | Path | None = None,
    *,
    meter: ResidencyMeter | None = None,
) -> OrthogonalityReport:
    """Write `orthogonality.json` and `orthogonality.png` to `out_dir`; return the report.

    Raises SkillVectorMismatch (naming the tensor and each checkpoint's shape) if the checkpoints do not line up.
    `meter` counts resident tensor bytes (tests use it to check memory does not grow with the model).
    """
    out = Path(out_dir)
    paths = {"base": base_dir, "sft": sft_dir, "rl": rl_dir}
    if control_sft_dir is not None:
        paths["control_sft"] = control_sft_dir
    ckpts = {label: Checkpoint(p, meter=meter) for label, p in paths.items()}
    alignment = align_checkpoints(ckpts)
    control = ckpts.get("control_sft")

    per_tensor: dict[str, TensorStats] = {}
    for name in alignment.names:
        base = _fp32(ckpts["base"], name)
        sums = tensor_sums(
            base,
            _fp32(ckpts["sft"], name),
            _fp32(ckpts["rl"], name),
            _fp32(control, name) if control is not None else None,
        )
        del base
        per_tensor[name] = TensorStats(
            **GroupStats.from_sums(sums).model_dump(),
            layer=layer_index(name),
            module=module_type(name),
            shape=list(ckpts["base"].info(name).shape),
        )

    empty = Sums(sq_control=0.0, dot_sft_control=0.0) if control is not None else Sums()
    cells: dict[tuple[str, int | None], Sums] = defaultdict(lambda: empty)
    for t in per_tensor.values():
        cells[(t.module, t.layer)] = cells[(t.module, t.layer)] + t.sums
    per_module: dict[str, Sums] = defaultdict(lambda: empty)
    per_layer: dict[int, Sums] = defaultdict(lambda: empty)
    overall = empty
    for (module, layer), s in cells.items():
        per_module[module] = per_module[module] + s
        if layer is not None:
            per_layer[layer] = per_layer[layer] + s
        overall = overall + s

    modules = sorted(per_module, key=module_sort_key)
    layers = sorted(per_layer)
    report = OrthogonalityReport(
        base_dir=str(Path(base_dir).absolute()),
        sft_dir=str(Path(sft_dir).absolute()),
        rl_dir=str(Path(rl_dir).absolute()),
        control_sft_dir=str(Path(control_sft_dir).absolute()) if control_sft_dir is not None else None,
        tied=alignment.tied,
        skipped=alignment.skipped,
        layers=layers,
        modules=modules,
        overall=GroupStats.from_sums(overall),
        per_module={m: GroupStats.from_sums(per_module[m]) for m in modules},
        per_layer={i: GroupStats.from_sums(per_layer[i]) for i in layers},
        cells=[
            Cell(module=m, layer=i, stats=GroupStats.from_sums(cells[(m, i)]))
            for m in modules
            for i in [*layers, None]
            if (m, i) in cells
        ],
        per_tensor=per_tensor,
        json_path=str((out / REPORT_JSON).absolute()),
        png_path=str((out / REPORT_PNG).absolute()),
    )
    out.mkdir(parents=True, exist_ok=True)
    write_heatmap(report, out / REPORT_PNG)
    report.write_json(out / REPORT_JSON)
    return report
