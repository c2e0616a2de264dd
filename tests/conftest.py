"""Suite-wide: the Hypothesis profile (tests/hypothesis_profiles.py) is loaded before any test module."""

from tests import hypothesis_profiles  # noqa: F401 - registers and loads the profiles
