import argparse
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
                                     ["skill", "extract", "--help"], ["skill", "sparsify", "--help"],
                                     ["skill", "inject", "--help"]])
def test_stage_commands_have_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(command)
    assert exit_info.value.code == 0 and "--out" in capsys.readouterr().out


# `toolpast --help`'s commands, in its order, as they were before each command module registered its own
TOP_LEVEL = ["run", "sweep", "sft", "rl", "skill", "eval", "leaderboard", "analyze", "bench", "feasibility",
             "categories", "serve", "qa"]


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = (), funcs: tuple = ()):
    """(path, parser, the func it runs: its own default or the nearest group's) of every subcommand, nested ones
    included, in the order `--help` lists them."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                here = (*funcs, sub.get_default("func"))
                yield (*path, name), sub, next((f for f in reversed(here) if f is not None), None)
                yield from _commands(sub, (*path, name), here)


def _is_group(parser: argparse.ArgumentParser) -> bool:
    return any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)


def test_every_command_comes_from_a_registered_module():
    """Each register function of toolpast.cli adds its commands to a bare parser: together they are exactly
    build_parser's commands (nested ones included, none added twice), and each command runs a function of the
    package whose module registered it."""
    from toolpast.cli import REGISTERS, build_parser

    registered: dict[tuple[str, ...], str] = {}
    for register in REGISTERS:
        assert register.__module__.endswith(".cli"), register
        package = register.__module__.rpartition(".")[0]
        bare = argparse.ArgumentParser(prog="toolpast")
        register(bare.add_subparsers(dest="command", required=True))
        added = list(_commands(bare))
        assert added, f"{register.__module__}.{register.__name__} added no command"
        for path, parser, func in added:
            assert path not in registered, f"{' '.join(path)}: registered by {registered[path]} and {package}"
            registered[path] = package
            if not _is_group(parser):
                assert func is not None and func.__module__.startswith(package + "."), (path, func)
    whole = [path for path, _, _ in _commands(build_parser())]
    assert sorted(whole) == sorted(registered) and len(whole) == len(set(whole))
    assert [path[0] for path in whole if len(path) == 1] == TOP_LEVEL


def test_help_lists_the_same_commands_as_before(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # the usage on one line
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: toolpast [-h] {{{','.join(TOP_LEVEL)}}} ...\n"), out
    listed = [line.split()[0] for line in out.split("positional arguments:")[1].split("options:")[0].splitlines()
              if line.startswith("    ") and not line.startswith("     ")]
    assert listed == TOP_LEVEL


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


SMOKE = ["--category", "finance", "--preset", "smoke"]


@pytest.mark.parametrize("args, message", [
    (["run", *SMOKE, "--variants", ","], "--variants ',' names no variant"),
    (["run", *SMOKE, "--variants", ""], "--variants '' names no variant"),
    (["sweep", "--targets", "finance", "--preset", "smoke", "--variants", ","], "names no variant"),
    (["run", *SMOKE, "--variants", "sft,sft"], "eval.variants names sft more than once"),
    (["run", *SMOKE, "--set", "eval.samples=4"], "eval.samples > 1 needs eval.temperature > 0"),
    (["run", *SMOKE, "--set", "eval.tasks=100000"], "asked for 100000"),
    (["run", *SMOKE, "--set", "eval.split=validation", "--set", "validation_tasks=0"], "validation_tasks > 0"),
    (["sweep", "--targets", "finance", "--preset", "smoke", "--set", "eval.tasks=100000"], "asked for 100000"),
])
def test_config_errors_are_refused_before_any_stage(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLPAST_HOME", str(tmp_path / "home"))
    assert main([*args, "--export", str(tmp_path / "board.json")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not (tmp_path / "home").exists() and not (tmp_path / "board.json").exists()


def test_missing_vllm_is_refused_before_any_stage(capsys, tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "vllm" else real(name, *a))
    monkeypatch.setenv("TOOLPAST_HOME", str(tmp_path / "home"))
    assert main(["run", *SMOKE, "--set", "eval.backend=vllm", "--export", str(tmp_path / "b.json")]) == 2
    assert "needs vLLM" in capsys.readouterr().err and not (tmp_path / "home").exists()


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_export_to_a_directory_is_refused_before_any_stage(command, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLPAST_HOME", str(tmp_path / "home"))
    target = ["--category", "finance"] if command == "run" else ["--targets", "finance"]
    assert main([command, *target, "--preset", "smoke", "--export", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err and not (tmp_path / "home").exists()


def test_a_stage_locked_by_another_run_is_one_line(capsys, monkeypatch):
    import toolpast.tooluse.pipeline
    from toolpast.artifacts import StageLocked

    def locked(*args, **kwargs):
        raise StageLocked("/home/artifacts/rl/abc.partial is being written by live process 42; wait for it or kill it")

    monkeypatch.setattr(toolpast.tooluse.pipeline, "run_pipeline", locked)
    assert main(["run", *SMOKE]) == 2
    err = capsys.readouterr().err
    assert err == "toolpast: error: /home/artifacts/rl/abc.partial is being written by live process 42; wait for " \
                  "it or kill it\n"


def test_a_bug_keeps_its_traceback(monkeypatch):
    import toolpast.tooluse.pipeline

    def bug(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(toolpast.tooluse.pipeline, "run_pipeline", bug)
    with pytest.raises(KeyError):
        main(["run", *SMOKE])


def test_a_missing_model_directory_is_named(capsys, tmp_path):
    for spec in ("/nonexistent/model", "./no-such-dir", "~/no/such/dir"):
        assert main(["eval", *SMOKE, "--model", spec, "--out", str(tmp_path / "out")]) == 2
        assert capsys.readouterr().err == f"toolpast: error: --model {spec}: no such directory\n"


@pytest.fixture
def corrupt_model(tiny_model_dir, tmp_path) -> Path:
    import shutil

    model = tmp_path / "corrupt"
    shutil.copytree(tiny_model_dir, model)
    weights = model / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])  # a truncated copy
    return model


@pytest.mark.parametrize("command", [["eval", *SMOKE, "--out", "OUT"], ["serve", "--port", "0"]])
def test_a_corrupt_checkpoint_is_one_line(command, corrupt_model, capsys, tmp_path):
    command = [str(tmp_path / "out") if a == "OUT" else a for a in command]
    assert main([*command, "--model", str(corrupt_model)]) == 2
    err = capsys.readouterr().err  # (after the evaluation's progress line)
    assert err.splitlines()[-1].startswith(f"toolpast: error: cannot load the checkpoint in {corrupt_model} "
                                           "(SafetensorError") and "Traceback" not in err, err


def test_serve_refuses_a_bad_port_before_loading_the_model(capsys, monkeypatch):
    from toolpast.serve.engine import HFChatEngine

    monkeypatch.setattr(HFChatEngine, "load", lambda *a, **k: pytest.fail("the model must not be loaded"))
    assert main(["serve", "--model", "tiny-random", "--port", "99999"]) == 2
    assert capsys.readouterr().err == "toolpast: error: --port must be 0-65535 (0 picks a free port), got 99999\n"


def test_serve_on_a_port_in_use_is_one_line(tiny_model_dir, capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--model", str(tiny_model_dir), "--port", str(port)]) == 2
    assert capsys.readouterr().err == f"toolpast: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"


@pytest.mark.parametrize("data", ["docs", "docs+trajectories"])
def test_sft_command_follows_the_configured_protocol(data, tiny_model_dir, tmp_path, capsys):
    """`toolpast sft` trains what the pipeline's knowledge SFT trains: the docs corpus, or the two stages (doc
    pairs, then the categories' train trajectories from the stage-1 model, kept in OUT/doc_pairs)."""
    from safetensors.torch import load_file

    out = tmp_path / "sft"
    assert main(["sft", "--preset", "smoke", "--model", str(tiny_model_dir), "--categories", "finance", "--out",
                 str(out), "--set", f"sft.data={data}", "--set", "sft.trajectories.steps=1", "--set",
                 "sft.trajectories.tasks_per_category=2"]) == 0
    final = load_file(out / "model" / "model.safetensors")
    logs = [line for line in (out / "train_log.jsonl").read_text().splitlines() if '"loss"' in line]
    if data == "docs":
        assert not (out / "doc_pairs").exists() and len(logs) == 2  # smoke: sft.steps = 2
        return
    stage1 = load_file(out / "doc_pairs" / "model" / "model.safetensors")
    assert len(logs) == 1  # stage 2's one step, from the stage-1 model
    assert any(not (final[k] == stage1[k]).all() for k in final)
    assert (out / "doc_pairs" / "train_log.jsonl").is_file()


def test_sft_rows_truncated_to_nothing_are_a_clear_error(tiny_model_dir, tmp_path, capsys):
    """TRL drops chats whose trained tokens all fall past max_length; an empty dataset must name the setting."""
    assert main(["sft", "--preset", "smoke", "--model", str(tiny_model_dir), "--categories", "finance", "--out",
                 str(tmp_path / "sft"), "--set", "sft.data=docs+trajectories", "--set", "sft.steps=1", "--set",
                 "sft.trajectories.tasks_per_category=2", "--set", "sft.trajectories.max_length=128"]) == 2
    assert "none of the 2 training rows keeps a trained token within max_length=128" in capsys.readouterr().err
    assert not (tmp_path / "sft").exists()


def test_a_corrupt_stage_manifest_is_one_line_naming_it_and_the_fix(capsys, monkeypatch, tmp_path):
    """A finished artifact's manifest.json that does not parse: the file and the --force that rebuilds it, in one
    line (no pydantic dump naming no file)."""
    import re

    import toolpast.tooluse.pipeline
    from toolpast.artifacts import ArtifactStore

    store = ArtifactStore(tmp_path)
    done, _ = store.run("sft_target", {"k": 1}, lambda w: None)
    manifest = done.path / "manifest.json"
    manifest.write_text(manifest.read_text()[:60])
    monkeypatch.setattr(toolpast.tooluse.pipeline, "run_pipeline",
                        lambda *a, **k: store.run("sft_target", {"k": 1}, lambda w: None))
    assert main(["run", *SMOKE]) == 2
    assert re.fullmatch(f"toolpast: error: {re.escape(str(manifest))}: not a valid stage manifest: not JSON, or cut "
                        r"short \(.+\); rerun with --force sft_target to rebuild that stage\n", capsys.readouterr().err)


def test_rl_command_makes_the_policy_choice_the_pipeline_makes(tiny_model_dir, tmp_path, capsys):
    """`toolpast rl --set rl.select_every=N` keeps a policy every N steps and chooses one on the held-out selection
    tasks, as the pipeline's rl stage does (it once ignored the setting and kept the last step)."""
    import json

    out = tmp_path / "rl"
    assert main(["rl", "--preset", "smoke", "--model", str(tiny_model_dir), "--categories", "movies", "--out",
                 str(out), "--set", "rl.select_every=2", "--set", "rl.select_tasks=2"]) == 0
    record = json.loads((out / "selection.json").read_text())
    assert record["steps"] == [2, 3] and record["tasks"] == 2 and record["chosen_step"] in (2, 3)
    assert f"policy choice: step {record['chosen_step']} of [2, 3]" in capsys.readouterr().out
    assert not (out / "snapshots").exists() and (out / "model" / "config.json").is_file()


def test_rl_command_refuses_tasks_from_the_held_out_tail(tiny_model_dir, tmp_path, capsys):
    """RL's tasks are the front of the train split; reaching into the validation tail is refused before training."""
    assert main(["rl", "--preset", "smoke", "--model", str(tiny_model_dir), "--categories", "movies", "--out",
                 str(tmp_path / "rl"), "--set", "rl.train_tasks=190"]) == 2
    assert "rl.train_tasks=190 would reach into the last" in capsys.readouterr().err
    assert not (tmp_path / "rl").exists() and not (tmp_path / "rl.partial").exists()
