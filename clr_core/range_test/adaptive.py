"""Which optimizers are *adaptive*: they scale each update by running statistics of the gradients.

Adam and its kin (AdamW, NAdam, RMSprop, Adagrad, Adafactor, Lion, ...) move each weight by about the lr
whatever the gradient's size, so their range-test loss comes back up only far past the lrs that train best,
and the suggestions step further back from the cliff for them (`RangeTestResult.adaptive`, rule 7 of
`clr_core.range_test.result`). The torch and Keras runners tell by the optimizer's class names through
`adaptive_optimizer`; the optax runner by the types of the optimizer state (`clr_optax.range_test`). A runner's
``adaptive=`` decides instead, for an optimizer of your own or a name this list does not know.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Parts of a class name (lowercase) that mark an adaptive optimizer: every torch.optim and keras.optimizers
#: class that scales by gradient statistics, and common third-party ones (Prodigy, schedule-free AdamW, Lion,
#: LAMB, Sophia, Adan, bitsandbytes' and apex's Adam variants).
ADAPTIVE_NAME_PARTS = ("adam", "adan", "adagrad", "adadelta", "adafactor", "rmsprop", "lion", "lamb", "ftrl",
                       "prodigy", "sophia")


def adaptive_optimizer(class_names: Iterable[str]) -> bool:
    """Whether any of `class_names` (an optimizer's class and its bases) names an adaptive optimizer.

    Examples:
        >>> adaptive_optimizer(["AdamW", "Optimizer"]), adaptive_optimizer(["SGD", "Optimizer"])
        (True, False)
    """
    return any(part in name.lower() for name in class_names for part in ADAPTIVE_NAME_PARTS)
