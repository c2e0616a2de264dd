"""`raised`: what a call raises, as its exact type and full message, for tests that pin error messages;
`loaded_or_unchanged`: a load either succeeds or leaves the object exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def raised(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[type, str]:
    """The exact type and the full message of the exception `function(*args, **kwargs)` raises.

    Compare it with ``(TypeError, "the whole message")``: a subclass, another type or a message that only
    starts alike does not pass, and a call that raises nothing fails the test.

    Examples:
        >>> raised(int, "x")
        (<class 'ValueError'>, "invalid literal for int() with base 10: 'x'")
    """
    with pytest.raises(Exception) as caught:
        function(*args, **kwargs)
    return type(caught.value), str(caught.value)


def loaded_or_unchanged(state: Any, saved: Any) -> bool:
    """Load `saved` into `state` (``plan='saved'``): True when it loaded; on a TypeError or ValueError, assert
    that the state is exactly as it was and return False."""
    before = state.state_dict()
    try:
        state.load_state_dict(saved, plan="saved")
    except (TypeError, ValueError):
        assert state.state_dict() == before
        return False
    return True
