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


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_are_valid_configs(name):
    cfg = get_preset(name)
    assert cfg.preset == name
    RunConfig.model_validate(cfg.model_dump())


def test_unknown_preset():
    with pytest.raises(ValueError, match="smoke"):
        get_preset("huge")
