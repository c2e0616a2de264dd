"""Which `fit` drives the learning rate: the table is tied to the fit that started it, not left behind.

Keras calls ``on_train_end`` only when ``fit`` returns: a ``KeyboardInterrupt``, an exception in another
callback or in the data, or an error of the callback itself leave it uncalled. So the callback does not
trust it alone. When training starts it notes the frame of the code that called the callbacks (Keras'
``fit``, or a custom loop), and the table (`clr_keras.lr_table`) asks `FitOwner.live` whether that frame is
still running before it obeys the fit:

- when the learning rate is read (``optimizer.learning_rate``, a traced or eager train step),
- when it is written (``optimizer.learning_rate = value``),
- when the next ``fit`` or ``train_on_batch`` starts: the model's ``make_train_function``, which Keras calls
  first in both, is wrapped once per model to check (`release_on_next_fit`), so that a compiled train
  function traced during the interrupted fit stops reading the table before its first step.

A fit found ended lets go: the optimizer obeys its own learning-rate variable again, set to the rate the next
step would have had, the steps that ran are recorded in the history, and a momentum cycled with the rate
gets its float back.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import keras

from .lr_table import ATTRIBUTE

RELEASING = "_clr_releases_tables"


def caller_frame() -> FrameType | None:
    """The frame of the code that called the running callback hook (Keras' ``fit``, or a custom loop).

    The first frame above the hook whose ``self`` is neither a callback nor a callback list.
    """
    frame = sys._getframe(1)
    while frame is not None:
        owner = frame.f_locals.get("self")
        if not isinstance(owner, (keras.callbacks.Callback, keras.callbacks.CallbackList)):
            return frame
        frame = frame.f_back
    return None


def fit_callbacks() -> list[Any]:
    """The callbacks of the running ``fit`` (the callback list that called the running hook), or []."""
    frame = sys._getframe(1)
    while frame is not None:
        owner = frame.f_locals.get("self")
        if isinstance(owner, keras.callbacks.CallbackList):
            return list(getattr(owner, "callbacks", []))
        frame = frame.f_back
    return []


class FitOwner:
    """One run of ``fit`` with a `CyclicLR`: alive while the frame that started it runs.

    Args:
        frame: the frame of ``fit`` (`caller_frame` in ``on_train_begin``).
        written: called with the value another writer assigns to the learning rate during the fit.
        released: called when the table lets go after the fit ended without ``on_train_end``.
    """

    def __init__(self, frame: FrameType | None, written: Callable[[Any], None],
                 released: Callable[[], None]) -> None:
        self.frame = frame
        self.thread = threading.get_ident()
        self.written = written
        self.released = released

    def live(self) -> bool:
        """Whether the fit's frame is on the current stack (a few microseconds).

        Asked from another thread (a `tf.distribute` replica tracing the step), it answers True: that
        thread's stack cannot tell, and the fit's own thread checks again before the next fit.
        """
        if self.frame is None or threading.get_ident() != self.thread:
            return True  # no frame to follow (not seen on CPython), or another thread's stack
        frame = sys._getframe(1)
        while frame is not None:
            if frame is self.frame:
                return True
            frame = frame.f_back
        return False


def release_on_next_fit(model: Any) -> None:
    """Wrap ``model.make_train_function`` (once): each ``fit`` and ``train_on_batch`` first frees the rate.

    A table whose fit has ended lets go before the train function runs a step.
    """
    if model.__dict__.get(RELEASING):
        return
    original = model.make_train_function

    def make_train_function(*args: Any, **kwargs: Any) -> Any:
        table = getattr(getattr(model, "optimizer", None), ATTRIBUTE, None)
        if table is None:  # a LossScaleOptimizer holds the driven one inside
            table = getattr(getattr(model.optimizer, "inner_optimizer", None), ATTRIBUTE, None)
        if table is not None and table.fit is not None and not table.fit.live():
            table.let_go()
        return original(*args, **kwargs)

    object.__setattr__(model, "make_train_function", make_train_function)  # past Keras' attribute tracking
    object.__setattr__(model, RELEASING, True)
