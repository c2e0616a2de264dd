"""Helpers for the tools' tests: a PNG check that reads the file, not just its name."""

import pytest

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path) -> None:
    """The file exists, starts with the PNG signature, and matplotlib can read it back as an image."""
    image = pytest.importorskip("matplotlib.image")
    with open(path, "rb") as file:
        assert file.read(8) == PNG_SIGNATURE
    pixels = image.imread(str(path))
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert pixels.std() > 0.01  # not a blank canvas
