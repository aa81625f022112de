import pytest

from toolpast.config import RunConfig
from toolpast.overrides import apply_overrides, describe_fields
from toolpast.presets import PRESETS, get_preset


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
    assert isinstance(get_preset("cpu"), RunConfig)


@pytest.mark.parametrize("suite", sorted(PRESETS))
def test_unknown_preset(suite):
    with pytest.raises(ValueError, match="unknown preset 'huge'; choose one of .*smoke"):
        get_preset("huge", suite)


def test_grpo_settings_are_declared_once():
    """Tool-use RL and QA RL extend one GRPO base; only their own fields and defaults differ."""
    from toolpast.config import GRPOSettings, RLConfig
    from toolpast.qa.config import QARLConfig

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
