"""`toolpast qa squad|loogle` flags and --set land in the typed config; bad values are clear errors."""

import pytest

from toolpast.cli import build_parser
from toolpast.qa.run_cli import loogle_config, squad_config


def _args(*argv):
    return build_parser().parse_args(["qa", *argv])


def test_squad_flags_and_sets_reach_the_config():
    cfg = squad_config(_args("squad", "--preset", "smoke", "--passages", "1", "--knowledge", "passage", "--past",
                             "--set", "answer.max_new_tokens=4", "--seed", "3"))
    assert (cfg.passages, cfg.knowledge, cfg.past, cfg.answer.max_new_tokens, cfg.seed) == (1, ["passage"], [], 4, 3)
    cfg = squad_config(_args("squad", "--setting", "cpt", "--cpt-n", "2067", "--past"))
    assert (cfg.preset, cfg.setting, cfg.cpt.n, cfg.model) == ("cpu", "cpt", 2067, "smollm2-135m-instruct")


def test_loogle_flags_reach_the_config():
    cfg = loogle_config(_args("loogle", "--preset", "smoke", "--kind", "longdep", "--documents", "2"))
    assert (cfg.kind, cfg.documents, cfg.past) == ("longdep", 2, ["passage"])


def test_bad_values_name_the_setting():
    with pytest.raises(ValueError, match="invalid --set value"):
        squad_config(_args("squad", "--knowledge", "implications"))
    with pytest.raises(ValueError, match="unknown setting"):
        squad_config(_args("squad", "--set", "passage_sft.epoch=3"))
