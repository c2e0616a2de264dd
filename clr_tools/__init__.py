"""clr_tools: what sits around the schedules: plots, the `clr` command line and the demo."""

from .plot import plot_history, plot_range_test, plot_schedule

__all__ = ["plot_history", "plot_range_test", "plot_schedule"]
