import math

import pytest

from ganlab.config import Config, ConfigError, parse_assignment


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"k": 0}, "k must be between 1 and 20"),
        ({"k": 2.5}, "k must be an integer"),
        ({"lr_d": math.nan}, "lr_d must be finite"),
        ({"lr_g": -1.0}, "lr_g must be between"),
        ({"latent_dim": 129}, "latent_dim must be between 1 and 128"),
        ({"g_loss": "wasserstein"}, "g_loss must be one of non-saturating, minimax"),
        ({"p_data": "ring9"}, "p_data must be one of"),
        ({"p_data": "custom"}, "needs at least 2 points"),
        ({"points": ((0.0, float("nan")),)}, "finite"),
        ({"pack": 9}, "pack must be between 1 and 8"),
        ({"batch_size": True}, "batch_size must be an integer"),
        ({"colour": "red"}, "unknown setting 'colour'"),
    ],
)
def test_bad_values_give_one_clear_line(changes, fragment):
    with pytest.raises(ConfigError) as err:
        Config().replace(**changes)
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_parse_assignment_converts_types():
    cfg = parse_assignment(parse_assignment(Config(), "k=3"), "lr-d=0.01")
    assert (cfg.k, cfg.lr_d) == (3, 0.01)
    with pytest.raises(ConfigError, match="k must be an integer"):
        parse_assignment(Config(), "k=three")
    with pytest.raises(ConfigError, match="key=value"):
        parse_assignment(Config(), "k")


def test_round_trip_through_dict():
    cfg = Config(k=4, g_loss="minimax")
    assert Config.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match="JSON object"):
        Config.from_dict([1, 2])
