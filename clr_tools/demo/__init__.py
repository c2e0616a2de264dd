"""The demo: the paper's fixed-lr vs CLR comparison in miniature, on scikit-learn's digits."""

from .runner import run_demo

__all__ = ["run_demo"]
