"""`CyclicLR`: the classic cyclical learning rate callback, for Keras 3, exact at every optimizer step."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import keras
import numpy as np

from clr_core import History, RangeTestResult, Schedule, ScheduleEnded
from clr_core.extend import checks, face_state, lr_at_array, planned_schedule

from . import _keras
from .config import face_arguments
from .logs import BATCH_LOSS, BatchLoss, numeric_metrics
from .lr_table import ATTRIBUTE, LrTable, end_fit, is_variable
from .momentum import MomentumTable, momentum_attributes
from .other_writers import OTHER_WRITERS, ratio_of_write, scale_bounds

FREE = -1  # the step a callback that follows no optimizer's counter (yet) is at


class CyclicLR(keras.callbacks.Callback):  # type: ignore[misc]  # Keras has no type hints
    """Cycle the optimizer's learning rate between `base_lr` and `max_lr` (Smith, arXiv:1506.01186).

    A drop-in replacement for the classic Keras ``CyclicLR`` callback. For the cycle iteration ``i``
    (optimizer steps since the start or the last reset)::

        cycle = floor(1 + i / (2 * step_size))
        x     = abs(i / step_size - 2 * cycle + 1)
        lr    = base_lr + (max_lr - base_lr) * max(0, 1 - x) * scale_fn(s)

    with ``s = cycle`` (``scale_mode='cycle'``) or ``s = i`` (``'iterations'``). The first step runs at
    ``base_lr``, which overrides the optimizer's own learning rate.

    Every optimizer step gets its own rate, also with ``steps_per_execution > 1``: the rates are computed on
    the host by `clr_core` and read inside the train step by the optimizer's step counter (see
    `clr_keras.lr_table`), so the callback adds a few operations per step on the device and no wait for it
    (one read of the step counter per call only for data of unknown length with ``steps_per_execution > 1``).
    On the JAX backend the tables travel in the trainer's state with the optimizer's own variables (see
    `clr_keras._keras`), so every step gets its own rate there too.
    Works with every built-in optimizer whose learning rate is a float, across repeated ``fit`` calls
    (history and counters carry on), and on a model loaded from a ``.keras`` file: a new callback starts at
    the optimizer's step counter (call `reset` before ``fit`` to start a new cycle at 0 instead).

    With ``cycle_momentum=True`` every step also gets its own momentum, cycled inversely to the rate (Smith,
    arXiv:1803.09820): ``clr_core.momentum_for(schedule, base_momentum, max_momentum)`` at the step's cycle
    iteration, so `max_momentum` at ``base_lr`` and `base_momentum` at ``max_lr`` (a one-cycle schedule
    brings its own phases). It goes where the optimizer keeps its momentum: ``momentum`` (SGD, RMSprop,
    built with ``momentum > 0``), ``beta_1`` (Adam, AdamW, Adamax, Nadam, Lamb, Lion), or both of Muon's;
    other optimizers are refused at the start of training with a `ValueError` that says what to use (see
    `clr_keras.momentum`). When training ends the optimizer gets its own float back.

    Real training: the callback follows the optimizer's step counter. At the start of each fit and of each
    epoch, and whenever the counter moved other than by the steps it saw (``BackupAndRestore`` in either
    order, ``load_weights``, a model loaded from a checkpoint with ``initial_epoch``), it re-anchors on it:
    the next step runs at the rate of its counter, and only the steps that ran in its sight are recorded.
    After an interrupted ``fit`` (Ctrl-C, an error in any callback or in the data) the next ``fit`` or
    ``train_on_batch`` finds the optimizer obeying its own learning rate again, set to the rate the next step
    would have had; until then the rate stays the callback's (an assignment in between scales its bounds,
    as another writer's). A checkpoint saved during a fit holds the next step's rate. A rate
    written during training by anyone else (``ReduceLROnPlateau``, ``LearningRateScheduler``, user code)
    scales both bounds by new / current (`other_writers`). `history` gets one entry per optimizer step that
    ran, whatever feeds ``fit`` (see docs/keras.md).

    After each call of the train function it records in `history` (a ``dict`` of lists, as the classic
    callback): ``'lr'`` and ``'iterations'`` for every step (and ``'momentum'`` when it cycles it), and every
    number of the batch logs plus ``'batch_loss'``, the loss of the batch alone (Keras' ``'loss'`` is a
    running mean over the epoch; see `clr_keras.logs`). It also writes ``'lr'`` (the rate of the latest
    step), ``'momentum'`` and ``'batch_loss'`` into the batch logs, and ``'lr'`` and ``'momentum'`` into the
    epoch logs, so ``CSVLogger``, ``TensorBoard`` and the ``History`` that ``fit`` returns show them (list
    this callback before those that read the logs).

    Args:
        base_lr: lower bound, a finite float >= 0; the first step's rate. Default 0.001.
        max_lr: upper bound, a finite float >= `base_lr`. Default 0.006.
        step_size: optimizer steps in half a cycle, a finite float > 0; Smith suggests 2 to 8 epochs' worth.
            Default 2000.
        mode: ``'triangular'``, ``'triangular2'`` (amplitude halves each cycle) or ``'exp_range'``
            (amplitude times ``gamma**i``); ignored when `scale_fn` is given.
        gamma: the decay of ``'exp_range'``, in (0, 1].
        scale_fn: a custom amplitude function of one float (normally returning values in [0, 1]), a
            `clr_core` scale object, or an import path ``"package.module:function"``; overrides `mode`.
        scale_mode: ``'cycle'`` or ``'iterations'``: what a custom `scale_fn` receives.
        step_size_down: steps in the falling half of a cycle; default `step_size`.
        waveform: ``'triangle'`` (the paper's) or ``'cosine'`` (the same bounds, a smooth turn at both ends).
        schedule: a ready `clr_core` schedule (e.g. ``clr_core.CyclicSchedule``) instead of the arguments.
        cycle_momentum: cycle the optimizer's momentum inversely to the rate. Default False.
        base_momentum: the momentum at the highest rate, a float in [0, 1). Default 0.8, or 0.85 for a
            `clr_core.OneCycle` (PyTorch's OneCycleLR), as on every face (`clr_core.extend.default_momentum`).
        max_momentum: the momentum at the lowest rate (the first step's), a float in [base_momentum, 1).
            Default 0.9, or 0.95 for a `clr_core.OneCycle`. Saved in `state_dict()` and resumed from it.
        keep_history: True keeps the whole `history` (default); False records none (O(1) memory; Keras'
            logs still get ``'lr'`` for ``CSVLogger`` and ``TensorBoard``); an int N >= 1 keeps the last N
            steps. Resuming from `state_dict()` is exact in every mode.
        other_writers: what a rate written to ``optimizer.learning_rate`` during training by another writer
            does: ``'scale'`` (default) multiplies both bounds by new / current from the next step on (so
            ``ReduceLROnPlateau(factor=0.5)`` halves the cycle); ``'raise'`` refuses it with a
            `RuntimeError` raised by the assignment.

    Raises:
        TypeError, ValueError: for invalid arguments, with the messages of `clr_core.CyclicSchedule`; at the
            start of training, for an optimizer whose momentum cannot be cycled (``cycle_momentum=True``).
        RuntimeError: at the start of training, on a Keras whose optimizers read or set the rate in a way
            the callback cannot follow (the message names the version).

    Examples:
        ```python
        clr = CyclicLR(base_lr=0.001, max_lr=0.006, step_size=2000.0, mode="triangular2")
        model.fit(x, y, callbacks=[clr])
        clr.history["lr"], clr.history["batch_loss"]
        clr._reset(new_max_lr=0.003)  # start a new cycle with other bounds
        model.compile(keras.optimizers.SGD(momentum=0.9), loss="mse")
        clr = CyclicLR(0.001, 0.006, 2000.0, cycle_momentum=True, base_momentum=0.85, max_momentum=0.95)
        model.fit(x, y, callbacks=[clr])
        clr.history["momentum"]  # 0.95 at base_lr, 0.85 at max_lr
        ```
    """

    def __init__(self, base_lr: float = 0.001, max_lr: float = 0.006, step_size: float = 2000.0,
                 mode: str = "triangular", gamma: float = 1.0, scale_fn: Any = None, scale_mode: str = "cycle",
                 *, step_size_down: float | None = None, waveform: str = "triangle",
                 schedule: Schedule | None = None, cycle_momentum: bool = False, base_momentum: float | None = None,
                 max_momentum: float | None = None, keep_history: bool | int = True,
                 other_writers: str = "scale") -> None:
        super().__init__()
        self.other_writers = checks.choice("other_writers", other_writers, OTHER_WRITERS)
        self.state = face_state(**face_arguments(
            schedule, base_lr=base_lr, max_lr=max_lr, step_size=step_size, mode=mode, gamma=gamma,
            scale_fn=scale_fn, scale_mode=scale_mode, step_size_down=step_size_down, waveform=waveform),
            cycle_momentum=cycle_momentum, base_momentum=base_momentum, max_momentum=max_momentum,
            keep_history=keep_history)
        self.cycle_momentum = bool(cycle_momentum)
        self._momentum: MomentumTable | None = None
        self._batch_loss = BatchLoss()
        self._table: LrTable  # the optimizer's, from the start of the first fit
        self._optimizer: Any = None
        self._next_step = FREE  # the optimizer's step counter at the state's next step
        self._calls = 0  # calls of the train function seen in the running fit
        self._in_call = False  # between a call's batch hooks: its steps not recorded yet
        self._before_fit = (0, 0, FREE)  # the counters before the running fit anchored them
        self._steps_per_call = 1
        self._epoch_batches = 0
        self._training = False
        self._ahead = 0  # steps of the running call recorded early (when another writer set the rate)
        self._read_steps = False
        self._cycle_chosen = False

    @classmethod
    def from_range_test(cls, result: RangeTestResult, *, epochs: int, steps_per_epoch: int,
                        mode: str = "triangular", metric: str | None = None, skip_start: int | None = None,
                        higher_is_better: bool | None = None, cycle_momentum: bool = False,
                        base_momentum: float | None = None, max_momentum: float | None = None,
                        keep_history: bool | int = True, other_writers: str = "scale", **options: Any) -> CyclicLR:
        """A callback running ``result.schedule(...)``: the range test's bounds, planned in epochs.

        The step size is 2 to 8 epochs and `epochs` ends on a cycle boundary; ``mode='one_cycle'`` runs a
        `clr_core.OneCycle` to the suggested ``max_lr`` instead (see `clr_core.RangeTestResult.schedule`, which
        takes `epochs`, `steps_per_epoch`, `mode`, `metric`, `skip_start`, `higher_is_better` and the
        schedule's `options`: ``gamma``, ``waveform``, ``pct_start``, ...). Train for `epochs` epochs of
        `steps_per_epoch` optimizer steps (``len(dataset)``, or `clr_core.steps_per_epoch` for arrays). The
        other arguments are `CyclicLR`'s.

        Raises:
            TypeError: `result` is not a `clr_core.RangeTestResult`.
            ValueError: no bounds, or a run too short for a cycle (the message suggests ``mode='one_cycle'``).

        Examples:
            ```python
            result = clr_keras.range_test(model, x, y, batch_size=32)
            clr = CyclicLR.from_range_test(result, epochs=8, steps_per_epoch=len(x) // 32)
            model.fit(x, y, batch_size=32, epochs=8, callbacks=[clr])
            ```
        """
        schedule = planned_schedule(result, "clr_keras", epochs=epochs, steps_per_epoch=steps_per_epoch, mode=mode,
                                    metric=metric, skip_start=skip_start, higher_is_better=higher_is_better, **options)
        return cls(schedule=schedule, cycle_momentum=cycle_momentum, base_momentum=base_momentum,
                   max_momentum=max_momentum, keep_history=keep_history, other_writers=other_writers)

    # The classic callback's attributes.
    @property
    def history(self) -> History:
        """``history['lr']``, ``history['iterations']``, ``history['loss']``, ``history['batch_loss']``, ..."""
        return self.state.history

    @property
    def schedule(self) -> Schedule:
        """The `clr_core` schedule now in use (as changed by the latest reset)."""
        return self.state.schedule

    @property
    def base_lr(self) -> float | None:
        """The current lower bound (after resets), as the classic callback's attribute; None for other kinds."""
        return getattr(self.schedule, "base_lr", None)

    @property
    def max_lr(self) -> float | None:
        """The current upper bound (after resets); None for schedule kinds without one."""
        return getattr(self.schedule, "max_lr", None)

    @property
    def step_size(self) -> float | None:
        """The current half-cycle length in steps (after resets); None for schedule kinds without one."""
        return getattr(self.schedule, "step_size", None)

    @property
    def clr_iterations(self) -> int:
        """Steps since the start of the cycle (set back to 0 by a reset)."""
        return self.state.cycle_iterations

    @property
    def trn_iterations(self) -> int:
        """Steps recorded in total (never reset)."""
        return self.state.total_iterations

    @property
    def base_momentum(self) -> float | None:
        """The momentum at the highest rate (as saved in the state); None unless ``cycle_momentum=True``."""
        return self.state.momentum_bounds[0][0] if self.state.momentum_bounds else None

    @property
    def max_momentum(self) -> float | None:
        """The momentum at the lowest rate (as saved in the state); None unless ``cycle_momentum=True``."""
        return self.state.momentum_bounds[0][1] if self.state.momentum_bounds else None

    @property
    def momentum_schedule(self) -> Schedule | None:
        """The `clr_core` momentum schedule now in use (None unless ``cycle_momentum=True``)."""
        schedules = self.state.momentum_schedules
        return schedules[0] if self.cycle_momentum and schedules else None

    def clr(self) -> float:
        """The learning rate of the next optimizer step."""
        return self.state.lr

    def momentum(self) -> float | None:
        """The momentum of the next optimizer step (None unless ``cycle_momentum=True``)."""
        return self.state.momentum if self.cycle_momentum else None

    def reset(self, base_lr: float | None = None, max_lr: float | None = None,
              step_size: float | None = None) -> None:
        """Start a new cycle at the next step, changing only the bounds given; the history carries on.

        Takes effect at once, also when called during training (from another callback, for instance).
        """
        self.state.reset(base_lr=base_lr, max_lr=max_lr, step_size=step_size)
        self._cycle_chosen = True
        if self._training:
            self._rates_changed()

    def _reset(self, new_base_lr: float | None = None, new_max_lr: float | None = None,
               new_step_size: float | None = None) -> None:
        """The classic spelling of `reset`."""
        self.reset(new_base_lr, new_max_lr, new_step_size)

    def state_dict(self) -> dict[str, Any]:
        """Counters, history and schedule as plain data (`clr_core.ScheduleState.state_dict`)."""
        return self.state.state_dict()

    def load_state_dict(self, state: dict[str, Any], plan: str | None = None) -> None:
        """Resume from `state_dict()` output: counters, history, schedule and momentum bounds.

        `plan` chooses which schedule continues (`clr_core.ScheduleState.load_state_dict`): ``'saved'`` the
        saved one, ``'current'`` the one this callback was built with (and its momentum bounds), from the saved
        counters; None, the saved one with a warning naming both when they differ.
        """
        self.state.load_state_dict(state, plan=plan)
        self._cycle_chosen = True
        if self._training:
            self._rates_changed()
        else:  # the loaded counters are the position: the next fit anchors them on its optimizer's counter
            self._next_step = FREE

    # Keras hooks.
    def set_model(self, model: Any) -> None:
        """Keras' hook: refuse a Keras 2 model (``tf.keras`` under ``TF_USE_LEGACY_KERAS=1``, ``tf_keras``)."""
        if not isinstance(model, keras.Model):
            raise TypeError(
                f"CyclicLR is a Keras 3 callback, but the model is a {type(model).__module__}."
                f"{type(model).__qualname__}, not a keras.Model (Keras 2: tf_keras, or tf.keras with "
                f"TF_USE_LEGACY_KERAS=1); build the model with Keras 3 (import keras, and unset "
                f"TF_USE_LEGACY_KERAS), or use clr_torch / clr_optax")
        super().set_model(model)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        model = self.model
        optimizer = _driven_optimizer(model)
        names = momentum_attributes(optimizer) if self.cycle_momentum else None  # refuse before any change
        end_fit(model)  # a fit that ended without on_train_end (when Keras' fit did not run that already)
        if optimizer is not self._optimizer:
            self._next_step = FREE  # another optimizer: its counter is no position of ours yet
        self._before_fit = (self.state.total_iterations, self.state.cycle_iterations, self._next_step)
        self._calls, self._in_call = 0, False
        self._anchor(_keras.read_step(optimizer))
        self._steps_per_call = max(1, int(getattr(model, "steps_per_execution", 1) or 1))
        # Steps read from the counter: loss scaling may skip one, gradient accumulation updates every k batches.
        self._read_steps = (isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
                            or _keras.accumulation_steps(optimizer) > 1)
        with _variable_scope(model):  # the tables' variables, made where the model's are
            table, installed = LrTable.attach(optimizer, self._steps_per_call)
            momentum = None if names is None else MomentumTable.attach(table, names)
        if momentum is None:
            MomentumTable.release(optimizer)
        _keras.track(optimizer, [table.rates.variable, table.owner] + (
            [] if momentum is None else [momentum.momentums.variable, momentum.active]))
        for owner in {id(model.optimizer): model.optimizer, id(optimizer): optimizer}.values():
            _keras.guard_saving(owner, optimizer, table.before_save)
        train_function = getattr(model, "train_function", None)
        if (installed and train_function is not None) or (
                momentum is not None and momentum.needs_new_train_function(train_function)):
            model.make_train_function(force=True)  # the step must be traced again to read the tables
        self._table, self._momentum, self._optimizer = table, momentum, optimizer
        self._ahead = 0
        self._fill_table()
        table.claim(self, self.state.lr)
        _keras.before_each_fit(model, end_fit)
        if momentum is not None:
            momentum.activate()
            momentum.function = getattr(model, "train_function", None)
        self._training = True

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._batch_loss.start_epoch()
        self._epoch_batches = 0
        if self._training:  # a restore or load before this epoch (in any callback's hook) moved the counter
            step = _keras.current_step(self, self._optimizer)
            if step != self._next_step:
                self._moved(step)

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._training and self.state.ended:
            self.state.step()  # raises ScheduleEnded (with the core's message) before a step past the end runs
        self._in_call = True

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if not self._training:
            return
        count = self._steps_in_call()
        self._calls += 1
        self._in_call = False
        # Keras' running mean is over batches: under gradient accumulation k of them make one step.
        self._epoch_batches = batch + 1 if _keras.accumulation_steps(self._optimizer) > 1 else (
            self._epoch_batches + count)
        metrics = numeric_metrics(logs)
        if "loss" in metrics:
            metrics[BATCH_LOSS] = self._batch_loss.update(metrics["loss"], self._epoch_batches)
        self._record(count, metrics)
        if logs is not None and BATCH_LOSS in metrics:
            logs[BATCH_LOSS] = metrics[BATCH_LOSS]
        self._write_logs(logs)
        if not self._table.rates.covers(self._next_step, self._steps_per_call):
            self._fill_table()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._write_logs(logs)
        if self._training:  # a checkpoint saved now records the next step's rate
            self._check_variable()
            self._table.hold(self.state.lr)

    def _write_logs(self, logs: dict[str, Any] | None) -> None:
        """The latest step's lr (and momentum, when cycled) into Keras' logs, for CSVLogger and History."""
        if logs is not None:  # the latest row is kept also when the history keeps nothing
            keys = ("lr", "momentum") if self._momentum is not None else ("lr",)
            logs.update({key: value for key, value in self.state.latest.items() if key in keys})

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._training:
            self._table.release(self.state.lr)
        self._stop()

    # Another writer, and fits that end without on_train_end (what the table asks of its fit).
    def _other_writer(self, value: Any) -> None:
        """Someone assigned `value` to ``optimizer.learning_rate`` during the fit (`clr_keras.other_writers`).

        A write that comes with a step counter moved by other than the steps of the running call is a restore
        (``BackupAndRestore``, ``load_weights``): the callback re-anchors on the counter, and the restored
        rate gives way to the cycle's.
        """
        step = _keras.current_step(self, self._optimizer)
        ran = step - self._next_step
        if (ran and not self._in_call) or not 0 <= ran <= self._steps_per_call:
            self._moved(step)
            return
        self._catch_up()
        shown = float(np.asarray(self.state.lr, dtype=self._table.rates.dtype))  # what optimizer.learning_rate read
        ratio = ratio_of_write(value, shown, self.other_writers)
        if ratio is None:
            return
        scale_bounds(self.state, ratio)
        self._rates_changed()

    def _catch_up(self) -> None:
        """Record the steps that ran since the last record (read from the optimizer's step counter)."""
        count = _keras.current_step(self, self._optimizer) - self._next_step
        if count > 0:
            self._epoch_batches += count
            self._record(count, {})
            self._ahead += count

    def _fit_ended(self) -> None:
        """The fit ended without on_train_end (an exception, Ctrl-C): record what ran, give floats back."""
        if not self._training:
            return
        try:
            self._catch_up()
        except ScheduleEnded:  # the fit stopped on it already
            pass
        finally:
            self._stop()

    def _stop(self) -> None:
        """The fit is over: the optimizer gets its own momentum back (when the callback cycled it)."""
        if self._training and self._momentum is not None:
            self._momentum.deactivate()
        self._training, self._momentum = False, None

    def _check_variable(self) -> None:
        """Refuse to go on when the variable changed without the table seeing it (past Keras' setter)."""
        table = self._table
        if float(table.variable.numpy()) != float(table.owner.numpy()):
            raise RuntimeError(
                f"CyclicLR: the optimizer's learning-rate variable was changed during training without "
                f"optimizer.learning_rate = ... (Keras {keras.__version__}), so the steps since ran at "
                f"{float(table.variable.numpy())!r}, not at the cycle's rates; set the rate through "
                f"optimizer.learning_rate, or remove CyclicLR")

    # Helpers.
    def _steps_in_call(self) -> int:
        """How many optimizer steps the call of the train function that just ended ran, not yet recorded.

        One per call when ``steps_per_execution=1``, else read from the step counter, which counts every
        setup alike (a short last call, data of unknown length, steps_per_epoch).
        """
        if self._steps_per_call == 1 and not self._read_steps:
            count = 1 - self._ahead
        else:  # a step skipped by loss scaling leaves the counter too: follow it
            count = _keras.current_step(self, self._optimizer) - self._next_step
        self._ahead = 0
        return count

    def _record(self, count: int, metrics: dict[str, float]) -> None:
        """Record `count` steps, each with its own rate (and momentum, stepped by the state), metrics last."""
        if self._momentum is not None:
            metrics.pop("momentum", None)  # the state records each step's momentum, not the logs
        if count > 0:
            for _ in range(count - 1):
                self.state.step()
            self.state.step(**metrics)
        elif metrics:
            self.state.log(**metrics)
        self._next_step += count

    def _fill_table(self) -> None:
        """Write the rates of the next steps into the table.

        Past the end of an ``after='raise'`` schedule the last one is held there, and the state raises when
        such a step is recorded.
        """
        _keras.sync(self)  # on JAX, so that the train step reads the values written here
        cycle = self.state.cycle_iterations
        iterations = np.arange(cycle, cycle + self._table.rates.size)
        self._table.rates.write(self._next_step, lr_at_array(self.state.schedule.evaluate, iterations))
        momentum = self.momentum_schedule
        if self._momentum is not None and momentum is not None:
            self._momentum.momentums.write(self._next_step, lr_at_array(momentum.evaluate, iterations))

    def _rates_changed(self) -> None:
        """During training, after a reset, a load or another writer: the new rates from the next step on.

        The table gets the coming steps' rates, and the optimizer's variable (what a checkpoint saves) the next.
        """
        self._fill_table()
        self._table.hold(self.state.lr)

    def _anchor(self, step: int) -> None:
        """Follow the optimizer's step counter: its next step, `step`, is the state's next step.

        A callback that follows no counter yet (new, loaded, or on another optimizer) takes `step` as its
        position: a new one starts its counters there (a model trained before), unless a reset chose the
        cycle; a loaded one goes on from its own. A counter that moved without a step in sight (a restore,
        ``load_weights``, ``initial_epoch`` with a loaded model) moves both counters by as much.
        """
        state = self.state
        if self._next_step == FREE:
            if state.total_iterations == 0:
                state.start_at(step, state.cycle_iterations if self._cycle_chosen else None)
        elif step != self._next_step:
            moved = step - self._next_step
            state.start_at(max(0, state.total_iterations + moved), max(0, state.cycle_iterations + moved))
        self._next_step = step

    def _moved(self, step: int) -> None:
        """The counter moved to `step` without a step in sight: re-anchor on it, and the rates follow.

        Before the first call of a fit that is as if the fit had started there (whatever the callbacks'
        order); a move between a call and this callback's batch hook leaves that call nothing to record.
        """
        if self._calls == 0:
            total, cycle, self._next_step = self._before_fit
            self.state.start_at(total, cycle)
        self._anchor(step)
        self._ahead = 1 if self._in_call and self._steps_per_call == 1 else 0
        self._rates_changed()


def _driven_optimizer(model: Any) -> Any:
    """The optimizer whose learning rate the train step reads, checked for what the callback needs."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError("CyclicLR needs a model compiled with an optimizer; call model.compile() first")
    optimizer = _keras.own_optimizer(optimizer)
    name = type(optimizer).__name__
    if isinstance(optimizer, getattr(keras.optimizers, "MultiOptimizer", ())):
        raise TypeError(f"CyclicLR drives one optimizer, but {name} hands variables to several; pass a "
                        f"clr_keras.CyclicLRSchedule(...) as the learning_rate of each inner optimizer instead")
    table = getattr(optimizer, ATTRIBUTE, None)
    learning_rate = table.variable if table is not None else optimizer.learning_rate
    if not is_variable(learning_rate):
        built = type(_keras.built_learning_rate(optimizer) or learning_rate).__name__  # only to name it
        raise TypeError(
            f"CyclicLR cannot drive {name}: it was built with learning_rate={built}, a schedule that sets every "
            f"step's rate itself. Pass clr_keras.CyclicLRSchedule(...) as the "
            f"optimizer's learning_rate instead of using the callback, or build {name} with a float "
            f"learning_rate (the callback's base_lr overrides it)")
    return optimizer


def _variable_scope(model: Any) -> Any:
    """The scope of the tf.distribute strategy the model trains under (TensorFlow backend), else none."""
    strategy = getattr(model, "distribute_strategy", None) if keras.backend.backend() == "tensorflow" else None
    return strategy.scope() if strategy is not None else nullcontext()
