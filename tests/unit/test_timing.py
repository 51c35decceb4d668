import pytest

from ansible_collections.twonode.ha.plugins.module_utils.timing import duration_ms


@pytest.mark.parametrize("value,expected", [
    ("3s", 3000), ("1500ms", 1500), ("2m", 120000), ("1min", 60000), ("2.5s", 2500),
    (" 4 s ", 4000), ("5", 5000), (5, 5000), (0.5, 500), ("1h", 3600000),
])
def test_accepted_durations(value, expected):
    assert duration_ms(value) == expected


@pytest.mark.parametrize("value", ["", "3 seconds", "fast", "-1s", "0s", 0, True, "1d"])
def test_refused_durations_say_what_is_accepted(value):
    with pytest.raises(ValueError) as err:
        duration_ms(value)
    assert "duration" in str(err.value)


def test_zero_only_when_allowed():
    assert duration_ms("0", allow_zero=True) == 0
    assert duration_ms(0, allow_zero=True) == 0
    with pytest.raises(ValueError):
        duration_ms("0")
