import pytest

import toolpast.qa.presets  # noqa: F401  (each suite registers its presets when its module is imported)
import toolpast.tooluse.presets  # noqa: F401
from toolpast.overrides import apply_overrides, describe_fields
from toolpast.presets import PRESETS, get_preset, register
from toolpast.tooluse.config import RunConfig


def test_nested_override_is_validated():
    cfg = apply_overrides(RunConfig(), ["rl.steps=3", "eval.variants=base,past", "source=movies,sports", "lam=0.5"])
    assert cfg.rl.steps == 3 and cfg.eval.variants == ["base", "past"]
    assert cfg.source == ["movies", "sports"] and cfg.lam == 0.5


@pytest.mark.parametrize("bad, message", [("rl.stepz=3", "rl has fields"), ("rl.steps=-1", "invalid"),
                                          ("nope=1", "unknown setting"), ("rl.steps", "path=value")])
def test_bad_override_names_the_problem(bad, message):
    with pytest.raises(ValueError, match=message):
        apply_overrides(RunConfig(), [bad])


def test_every_field_is_documented():
    rows = describe_fields(RunConfig)
    assert {"rl.steps", "sft.learning_rate", "eval.backend", "warmup.categories"} <= {r[0] for r in rows}
    undocumented = [path for path, _, desc in rows if not desc and path.count(".") > 0]
    assert not undocumented, undocumented


@pytest.mark.parametrize("suite, name", [(suite, name) for suite in PRESETS for name in PRESETS[suite]])
def test_presets_are_valid_configs(suite, name):
    cfg = get_preset(name, suite)
    assert cfg.preset == name
    type(cfg).model_validate(cfg.model_dump())


def test_every_suite_offers_the_same_preset_names():
    assert {suite: list(presets) for suite, presets in PRESETS.items()} == {
        "tool-use": ["smoke", "cpu", "paper"], "squad": ["smoke", "cpu", "paper"], "loogle": ["smoke", "cpu", "paper"]}
    assert isinstance(get_preset("cpu", "tool-use"), RunConfig)


@pytest.mark.parametrize("suite", sorted(PRESETS))
def test_unknown_preset(suite):
    with pytest.raises(ValueError, match="unknown preset 'huge'; choose one of .*smoke"):
        get_preset("huge", suite)


def test_the_registry_knows_no_suite_and_refuses_a_name_twice():
    """toolpast.presets imports no suite: a suite whose presets module was not imported is named as missing, and
    registering a preset name twice is refused rather than silently replacing the first."""
    import ast
    from pathlib import Path

    import toolpast.presets as registry

    tree = ast.parse(Path(registry.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m and m.startswith(("toolpast", "toolenv"))}
    with pytest.raises(ValueError, match="no presets registered for suite 'nope'.*import the suite's presets"):
        get_preset("cpu", "nope")
    with pytest.raises(ValueError, match=r"registers preset\(s\) \['cpu'\] twice"):
        register("tool-use", {"cpu": lambda: None})


def test_grpo_settings_are_declared_once():
    """Tool-use RL and QA RL extend one GRPO base; only their own fields and defaults differ."""
    from toolpast.config import GRPOSettings
    from toolpast.qa.config import QARLConfig
    from toolpast.tooluse.config import RLConfig

    shared = set(GRPOSettings.model_fields)
    assert issubclass(RLConfig, GRPOSettings) and issubclass(QARLConfig, GRPOSettings)
    assert set(QARLConfig.model_fields) - shared == {"max_new_tokens"}
    assert (RLConfig().steps, QARLConfig().steps) == (12, 10)


@pytest.mark.parametrize("sets, message", [
    (["eval.samples=4"], "invalid --set value: eval: eval.samples > 1 needs eval.temperature > 0"),
    (["eval.variants=sft,past,sft"], "invalid --set value: eval.variants: eval.variants names sft more than once"),
    (["rl.steps=0"], "invalid --set value: rl.steps: Input should be greater than or equal to 1 (got 0)"),
])
def test_invalid_combinations_are_refused_when_the_config_is_made(sets, message):
    with pytest.raises(ValueError) as error:
        apply_overrides(RunConfig(), sets)
    assert str(error.value) == message or str(error.value).startswith(message)
    assert "\n" not in str(error.value)  # one line, not pydantic's report


def test_sampling_with_a_temperature_is_accepted():
    cfg = apply_overrides(RunConfig(), ["eval.samples=4", "eval.temperature=0.8"])
    assert (cfg.eval.samples, cfg.eval.temperature) == (4, 0.8)


SUITES = ["tool-use", "squad", "loogle"]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("sets, message", [
    (["lam=1e39"], r"lam: lambda values must fit in float32 \(\|lambda\| <= 3.403e\+38\), got \[1e\+39\]"),
    (["lam=nan"], "lam: Input should be a finite number"),
    (["lam=-Infinity"], "lam: Input should be a finite number"),
    (["seed=-5"], r"seed: seed -5 is out of range: seeds are integers in \[0, 2\*\*32\), as numpy requires"),
    ([f"seed={2**32}"], "seed: seed 4294967296 is out of range"),
    (["seed=true"], "seed: Input should be a valid integer"),
])
def test_a_poisonous_lambda_or_seed_is_refused_by_every_suite(suite, sets, message):
    """Case 1 (QA took lambda 1e39 and nan, then evaluated all-NaN weights) and case 4 (a seed numpy refuses failed
    only after the model was built): refused with the settings, in one line naming the path."""
    with pytest.raises(ValueError, match="invalid --set value: " + message) as error:
        apply_overrides(get_preset("smoke", suite), sets)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("suite, path", [("tool-use", "sft.learning_rate"), ("tool-use", "rl.learning_rate"),
                                         ("tool-use", "sft.trajectories.learning_rate"),
                                         ("squad", "passage_sft.learning_rate"), ("squad", "source.rl.learning_rate"),
                                         ("squad", "cpt.learning_rate"), ("loogle", "source.sft.learning_rate")])
@pytest.mark.parametrize("value, message", [("1e30", "Input should be less than or equal to 1"),
                                            ("Infinity", "Input should be a finite number"),
                                            ("0", "Input should be greater than 0")])
def test_a_learning_rate_out_of_range_is_refused_at_start_up(suite, path, value, message):
    """Case 2: `--set sft.learning_rate=1e30` trained to all-NaN weights and published them."""
    with pytest.raises(ValueError, match=f"invalid --set value: {path}: {message}"):
        apply_overrides(get_preset("smoke", suite), [f"{path}={value}"])
    assert apply_overrides(get_preset("smoke", suite), [f"{path}=1"]) is not None  # 1 is the largest step taken


@pytest.mark.parametrize("suite, sets, message", [
    ("tool-use", ["rl.steps=true"], "rl.steps: Input should be a valid integer (got True)"),
    ("tool-use", ["lam=false"], "lam: Input should be a valid number (got False)"),
    ("tool-use", ["rl.reward.format=true"], "rl.reward.format: Input should be a valid number (got True)"),
    ("tool-use", ["suite_options={\"train_size\": true}"], "suite_options.train_size"),
    ("tool-use", ["lam_sweep=[0.5, true]"], "lam_sweep.1: Input should be a valid number (got True)"),
    ("squad", ["source.rl.steps=true"], "source.rl.steps: Input should be a valid integer (got True)"),
    ("loogle", ["documents=true"], "documents: Input should be a valid integer (got True)"),
])
def test_a_bool_is_not_a_number(suite, sets, message):
    """Case 3: `--set rl.steps=true` was taken as 1 step."""
    with pytest.raises(ValueError) as error:
        apply_overrides(get_preset("smoke", suite), sets)
    assert str(error.value).startswith(f"invalid --set value: {message}") and "\n" not in str(error.value)


def test_a_preset_cannot_hold_a_bool_for_a_number_either():
    from pydantic import ValidationError

    from toolpast.tooluse.config import RLConfig

    with pytest.raises(ValidationError, match="valid integer"):
        RLConfig(steps=True)
    with pytest.raises(ValidationError, match="valid number"):
        RLConfig(learning_rate=True)


@pytest.mark.parametrize("sets, message", [
    (['suite_options={"bad": 1}'], "suite_options: suite native takes no option 'bad'; its options are train_size, "
                                   "test_size"),
    (["suite=stabletoolbench", 'suite_options={"train_size": 3, "mode": "mock"}'],
     "suite_options: suite stabletoolbench takes no option 'train_size'; its options are data_dir, tools_dir, "),
])
def test_an_unknown_suite_option_names_the_bad_key_and_the_valid_ones(sets, message):
    """Case 5: `--set 'suite_options={"bad":1}'` was a TypeError traceback."""
    with pytest.raises(ValueError) as error:
        apply_overrides(RunConfig(), sets)
    assert str(error.value).startswith(f"invalid --set value: {message}") and "\n" not in str(error.value)
    assert apply_overrides(RunConfig(), ['suite_options={"train_size": 40}']).suite_options == {"train_size": 40}


@pytest.mark.parametrize("argv", [
    ["run", "--category", "finance", "--dry-run", "--seed=-5"],
    ["run", "--category", "finance", "--dry-run", "--set", "rl.steps=true"],
    ["run", "--category", "finance", "--dry-run", "--set", 'suite_options={"bad":1}'],
    ["sweep", "--targets", "finance", "--dry-run", "--seeds", "0,0"],
    ["sweep", "--targets", "finance", "--dry-run", "--seeds", "0,-5"],
    ["sft", "--categories", "finance", "--out", "OUT", "--set", "sft.learning_rate=1e30"],
    ["rl", "--categories", "movies", "--out", "OUT", "--seed", "4294967296"],
    ["eval", "--category", "finance", "--out", "OUT", "--seed=-1"],
    ["qa", "squad", "--lam", "1e39", "--export", "OUT"],
    ["qa", "squad", "--lam", "nan", "--export", "OUT"],
    ["qa", "loogle", "--lam", "1e39", "--export", "OUT"],
    ["qa", "loogle", "--seed=-5", "--export", "OUT"],
])
def test_every_command_refuses_bad_settings_in_one_line_before_any_work(argv, tmp_path, capsys, monkeypatch):
    from toolpast.cli import main

    for module, name in [("toolpast.stages.sft", "run_sft"), ("toolpast.tooluse.rl", "run_rl"),
                         ("toolpast.tooluse.evaluate", "evaluate"), ("toolpast.qa.squad_run", "run_squad"),
                         ("toolpast.qa.loogle_run", "run_loogle"), ("toolpast.tooluse.dry_run", "dry_run"),
                         ("toolpast.tooluse.pipeline", "run_pipeline"), ("toolpast.tooluse.sweep", "run_sweep")]:
        monkeypatch.setattr(f"{module}.{name}", lambda *a, _name=name, **k: pytest.fail(f"{_name} started"))
    out = tmp_path / "out"
    assert main([a.replace("OUT", str(out)) for a in argv] + ["--preset", "smoke"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("toolpast: error: ") and err.count("\n") == 1, err
    assert not out.exists()
