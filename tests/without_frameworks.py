"""A pytest plugin for ``make test-core``: the frameworks cannot be imported, as where only clr_core is installed.

Loaded with ``-p tests.without_frameworks``, it marks each framework missing in `sys.modules` before any test
module loads: a test that needs one skips (``pytest.importorskip``), and any other import of one fails. So the
core's loop stays fast and proves the core and its compositions run without them. (Importing this module, as
the doctest collection of ``make test`` does, changes nothing: only the hook does.)
"""

import sys

import pytest

FRAMEWORKS = ("torch", "tensorflow", "keras", "jax", "optax")


def pytest_configure(config: pytest.Config) -> None:
    for name in FRAMEWORKS:
        sys.modules[name] = None  # then ``import name`` raises ImportError
