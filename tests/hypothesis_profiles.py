"""Hypothesis profiles: ``fast`` for ``make test`` (the default), ``thorough`` for ``make test-thorough``.

``HYPOTHESIS_PROFILE=thorough`` (or pytest's ``--hypothesis-profile thorough``) picks the other one.
Neither has a deadline: the suite shares two cores, and a slow example is not a wrong one. A property
test that needs its own number of examples asks for ``examples(n)``, so that it scales with the profile.
"""

from __future__ import annotations

import os

from hypothesis import settings

# Examples per test where Hypothesis' own default runs 100: half for `make test`, ten times for thorough.
settings.register_profile("fast", max_examples=50, deadline=None, print_blob=True)
settings.register_profile("thorough", max_examples=1000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))


def examples(n: int) -> int:
    """`n` examples as counted against Hypothesis' default of 100, scaled to the loaded profile.

    Examples:
        >>> examples(400) == 4 * settings.default.max_examples
        True
    """
    return max(1, round(n * settings.default.max_examples / 100))
