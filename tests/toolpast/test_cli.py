from pathlib import Path

import pytest

from toolpast.cli import main

STB_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "stabletoolbench"


def test_run_help_documents_every_setting(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for token in ("--category", "--force", "--export", "rl.steps", "eval.backend", "warmup.categories"):
        assert token in out


@pytest.mark.parametrize("command", [["sft", "--help"], ["rl", "--help"], ["eval", "--help"],
                                     ["skill", "extract", "--help"], ["skill", "inject", "--help"]])
def test_stage_commands_have_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(command)
    assert exit_info.value.code == 0 and "--out" in capsys.readouterr().out


def test_categories_lists_finance(capsys):
    assert main(["categories"]) == 0
    assert "finance" in capsys.readouterr().out.split()


@pytest.mark.skipif(not STB_DATA.is_dir(), reason=f"StableToolBench data not found at {STB_DATA}")
def test_categories_of_stabletoolbench(capsys):
    assert main(["categories", "--suite", "stabletoolbench"]) == 0
    assert {"finance", "movies", "video_images"} <= set(capsys.readouterr().out.split())


@pytest.mark.parametrize("args, message", [
    (["run", "--category", "atlantis", "--preset", "smoke"], "unknown native category 'atlantis'"),
    (["run", "--category", "movies", "--preset", "smoke"], "also a source category"),
    (["run", "--category", "finance", "--preset", "smoke", "--force", "everything"], "--force takes"),
    (["run", "--category", "finance", "--preset", "smoke", "--set", "rl.nope=1"], "unknown setting"),
])
def test_bad_input_is_a_clear_error(args, message, capsys):
    assert main(args) == 2
    assert message in capsys.readouterr().err
