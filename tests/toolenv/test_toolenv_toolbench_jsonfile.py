"""Atomic JSON writes: the folder is made, the file replaced whole, no temporary file left behind."""

from __future__ import annotations

import json

from toolenv.toolbench.jsonfile import write_json


def test_write_json_replaces_the_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "a" / "b.json"
    write_json(path, {"x": "é"})
    write_json(path, [1, 2])
    assert json.loads(path.read_text(encoding="utf-8")) == [1, 2]
    assert [p.name for p in path.parent.iterdir()] == ["b.json"]
