# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Durations as administrators write them ("3s", "1500ms", "2m") and as corosync wants them (ms)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$")
_FACTOR_MS = {"ms": 1, "s": 1000, "m": 60000, "min": 60000, "h": 3600000, None: 1000}


def duration_ms(value, allow_zero=False):
    """Return a duration in whole milliseconds.

    Accepts an int (seconds), or a string with a unit: ms, s, m/min. A bare number is seconds,
    the unit Pacemaker uses when none is given. Raises ValueError with a message that says
    what is accepted. Zero is refused unless allow_zero (a delay may be none; a timeout may not).
    """
    if isinstance(value, bool):
        raise ValueError("%r is not a duration: use e.g. 3s, 1500ms, 1m or 2h" % (value,))
    if isinstance(value, (int, float)):
        if value < 0 or (value == 0 and not allow_zero):
            raise ValueError("%r is not a duration: it must be greater than zero" % (value,))
        return int(round(value * 1000))
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError("%r is not a duration: use e.g. 3s, 1500ms, 1m or 2h" % (value,))
    number, unit = match.groups()
    result = int(round(float(number) * _FACTOR_MS[unit]))
    if result < 0 or (result == 0 and not allow_zero):
        raise ValueError("%r is not a duration: it must be greater than zero" % (value,))
    return result
