import json
import re

import pytest

from toolpast.cli import main
from toolpast.leaderboard.merge import merge_boards, merge_files
from toolpast.leaderboard.schema import Leaderboard


def _write(path, *entries):
    path.write_text(Leaderboard(entries=list(entries)).model_dump_json(indent=2))
    return path


def test_merge_keeps_the_newest_of_the_same_evaluation(make_entry):
    old = make_entry("past", 1, 10, lam=1.0, date="2026-11-01T10:00:00+00:00")
    new = make_entry("past", 6, 10, lam=1.0, date="2026-11-02T09:00:00+01:00")
    other_lam = make_entry("past", 2, 10, lam=0.5, date="2026-10-01T00:00:00+00:00")
    other_cfg = make_entry("past", 3, 10, lam=1.0, config_hash="cfg2")
    sft = make_entry("sft", 1, 10)
    result = merge_boards([Leaderboard(entries=[new, sft]), Leaderboard(entries=[old, other_lam, other_cfg])])
    assert result.inputs == 5 and result.replaced == 1 and len(result.board.entries) == 4
    assert new in result.board.entries and old not in result.board.entries
    assert [e.variant.name for e in result.board.entries] == ["sft", "past", "past", "past"]  # schema order
    assert result.board.entries[1].variant.lam == 0.5


def test_merge_output_is_deterministic_and_atomic(make_entry, tmp_path):
    a = _write(tmp_path / "a.json", make_entry("past", 2, 10, lam=1.0), make_entry("sft", 1, 10))
    b = _write(tmp_path / "b.json", make_entry("base", 0, 10, category="music"), make_entry("sft", 1, 10))
    out1, out2 = tmp_path / "m1.json", tmp_path / "m2.json"
    assert main(["leaderboard", "merge", str(a), str(b), "--out", str(out1)]) == 0
    assert merge_files([b, a], out2).replaced == 1
    assert out1.read_text() == out2.read_text()
    merged = Leaderboard.model_validate_json(out1.read_text())
    assert [(e.category, e.variant.name) for e in merged.entries] == [("music", "base"), ("weather", "sft"),
                                                                      ("weather", "past")]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_merge_refuses_another_schema_version(make_entry, tmp_path, capsys):
    a = _write(tmp_path / "a.json", make_entry())
    raw = json.loads(a.read_text())
    raw["schema_version"] = 2
    b = tmp_path / "b.json"
    b.write_text(json.dumps(raw))
    with pytest.raises(ValueError, match=r"b\.json: schema_version 2, but this toolpast reads version 1"):
        merge_files([a, b])
    assert main(["leaderboard", "merge", str(a), str(b), "--out", str(tmp_path / "m.json")]) == 2
    assert "schema_version 2" in capsys.readouterr().err and not (tmp_path / "m.json").exists()
    (tmp_path / "c.json").write_text("{not json")
    with pytest.raises(ValueError, match="c.json: not a valid leaderboard: not JSON, or cut short"):
        merge_files([tmp_path / "c.json"])


@pytest.mark.parametrize("command", ["table", "merge", "html", "show"])
def test_a_corrupt_leaderboard_file_is_one_line_naming_it(make_entry, tmp_path, capsys, command):
    """Cut short, not UTF-8, or a field of the wrong type: one line naming the file and what is wrong with it (not
    the decoder's message without a file name, nor pydantic's many-line dump)."""
    raw = _write(tmp_path / "good.json", make_entry("past", 2, 10, lam=1.0), make_entry("sft", 1, 10)).read_bytes()
    broken = {"cut short": (raw[:len(raw) // 2], r"not JSON, or cut short \(.+: line \d+ column \d+\)"),
              "latin-1": (raw.replace(b"weather", b"m\xe9t\xe9o"), r"not UTF-8 text \(byte 0xe9 at offset \d+\)"),
              "schema": (raw.replace(b'"n": 10', b'"n": "ten"', 1), r"entries\.0\.metrics\.n: Input should be a "
                                                                    r"valid integer.*")}
    for name, (content, problem) in broken.items():
        path = tmp_path / f"{name}.json"
        path.write_bytes(content)
        out = ["--out", str(tmp_path / "out")] if command in ("merge", "html") else []
        assert main(["leaderboard", command, str(path), *out]) == 2
        err = capsys.readouterr().err
        assert re.fullmatch(f"toolpast: error: {re.escape(str(path))}: not a valid leaderboard: {problem}\n", err), err
        assert not (tmp_path / "out").exists()
