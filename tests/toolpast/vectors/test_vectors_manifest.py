"""A skill vector's manifest.json that is cut short, not UTF-8 or of the wrong shape is refused in one line naming
the file and what is wrong (issue 27), by the library and by `toolpast skill inject --vector`."""

from __future__ import annotations

import re
import shutil

import pytest

from toolpast.cli import main
from toolpast.vectors.manifest import MANIFEST_NAME, VectorManifest

BROKEN = {"cut short": (lambda raw: raw[:200], r"not JSON, or cut short \(.+: line \d+ column \d+\)"),
          "not utf-8": (lambda raw: b"\xfe" + raw, r"not UTF-8 text \(byte 0xfe at offset 0\)"),
          "schema": (lambda raw: raw.replace(b'"kind": "full_diff"', b'"kind": "half_diff"'),
                     r"kind: Input should be 'full_diff' or 'lora'")}


@pytest.mark.parametrize("damage", list(BROKEN))
def test_a_corrupt_vector_manifest_is_one_line_naming_it(models, vector_dir, tmp_path, capsys, damage):
    vector = tmp_path / "v"
    shutil.copytree(vector_dir, vector)
    manifest = vector / MANIFEST_NAME
    change, problem = BROKEN[damage]
    manifest.write_bytes(change(manifest.read_bytes()))
    line = f"{re.escape(str(manifest))}: not a valid skill-vector manifest: {problem}"
    with pytest.raises(ValueError, match=f"^{line}$"):
        VectorManifest.load(vector)
    code = main(["skill", "inject", "--model", str(models["target"]), "--vector", str(vector), "--out",
                 str(tmp_path / "out")])
    assert code == 2 and re.fullmatch(f"toolpast: error: {line}\n", capsys.readouterr().err)
    assert not (tmp_path / "out").exists()
