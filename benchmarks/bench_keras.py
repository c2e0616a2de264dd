"""Epoch time of a small MLP with a constant learning rate, the CyclicLR callback and CyclicLRSchedule.

Not a test: run it by hand, ``python benchmarks/bench_keras.py [--json results.json]``. For each
``steps_per_execution`` it builds one model per variant (same weights, same data), traces it with a warm-up
epoch, then times one epoch per variant in turn for several rounds (alternating the order, so drift of the
machine hits every variant alike) and prints medians, ratios to the constant rate, and whether the targets
hold (callback <= 1.05x, schedule <= 1.02x). A ratio is the median over rounds of the variant's epoch time
over the constant rate's in the same round, which cancels the slow drift of a shared machine; the "control"
column times a second constant-rate model the same way, so it shows the noise of the measurement.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras
import numpy as np
from harness import Row, write_json

from clr_keras import CyclicLR, CyclicLRSchedule

TARGETS = {"callback": 1.05, "schedule": 1.02}
CLR_ARGS = {"base_lr": 0.001, "max_lr": 0.006, "step_size": 100.0}


class EpochTimer(keras.callbacks.Callback):
    """Wall time from the start to the end of each epoch (no fit() setup, no evaluation)."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.times.append(time.perf_counter() - self._start)


def build(variant: str, spe: int, features: int, width: int) -> tuple[keras.Model, list[keras.callbacks.Callback]]:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((features,)), keras.layers.Dense(width, activation="relu"),
                              keras.layers.Dense(width, activation="relu"), keras.layers.Dense(10)])
    learning_rate = CyclicLRSchedule(**CLR_ARGS) if variant == "schedule" else 0.001
    model.compile(keras.optimizers.SGD(learning_rate, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), steps_per_execution=spe)
    callbacks = [CyclicLR(**CLR_ARGS)] if variant == "callback" else []
    return model, callbacks


def run(spe: int, args: argparse.Namespace, x: np.ndarray, y: np.ndarray) -> dict[str, dict[str, float]]:
    """Median epoch time of each variant, and the median over rounds of its time over the constant's."""
    variants = ("constant", "callback", "schedule", "control")
    models = {name: build(name, spe, x.shape[1], args.width) for name in variants}
    for model, callbacks in models.values():  # trace and warm up
        model.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0, callbacks=callbacks)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for round_index in range(args.rounds):
        order = variants if round_index % 2 == 0 else variants[::-1]
        for name in order:
            model, callbacks = models[name]
            timer = EpochTimer()
            model.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0, shuffle=False,
                      callbacks=[*callbacks, timer])
            times[name].append(timer.times[0])
    ratios = {name: statistics.median(t / c for t, c in zip(times[name], times["constant"]))
              for name in (*TARGETS, "control")}
    return {"seconds": {name: statistics.median(values) for name, values in times.items()}, "ratio": ratios}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200, help="batches per epoch")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=31, help="timed rounds (each variant once per round)")
    parser.add_argument("--threads", type=int, default=0, help="TensorFlow op threads (0: its default)")
    parser.add_argument("--spe", type=int, nargs="+", default=None,
                        help="steps_per_execution values (default 1 and 32; torch runs 1 only)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this file")
    args = parser.parse_args()
    backend = keras.backend.backend()
    if args.spe is None:
        args.spe = [1, 32] if backend == "tensorflow" else [1]

    if args.threads and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.batches * args.batch_size, 32)).astype("float32")
    y = rng.integers(0, 10, size=(len(x),))
    print(f"keras {keras.__version__}, backend {keras.backend.backend()}, {args.batches} batches of "
          f"{args.batch_size}, MLP 32-{args.width}-{args.width}-10, {args.rounds} rounds; "
          f"median epoch time, median per-round ratio")
    print(f"{'spe':>4} {'constant ms':>12} {'callback ms':>12} {'schedule ms':>12} {'callback x':>11} "
          f"{'schedule x':>11} {'control x':>10}  targets")
    results, rows = [], []
    for spe in args.spe:
        measured = run(spe, args, x, y)
        times, ratios = measured["seconds"], measured["ratio"]
        met = {name: ratios[name] <= limit for name, limit in TARGETS.items()}
        results.append({"steps_per_execution": spe, "epoch_seconds": times, "ratio": ratios, "target_met": met})
        rows += [Row(f"keras {backend} {name} epoch vs constant lr, steps_per_execution={spe}", "ms",
                     times[name] * 1e3, times["constant"] * 1e3, ratios[name], limit)
                 for name, limit in TARGETS.items()]
        verdict = ", ".join(f"{name} {'ok' if ok else 'MISSED'}" for name, ok in met.items())
        print(f"{spe:>4} {times['constant'] * 1e3:>12.1f} {times['callback'] * 1e3:>12.1f} "
              f"{times['schedule'] * 1e3:>12.1f} {ratios['callback']:>11.3f} {ratios['schedule']:>11.3f} "
              f"{ratios['control']:>10.3f}  {verdict}")
    if args.json is not None:
        config = {key: (str(value) if isinstance(value, Path) else value) for key, value in vars(args).items()}
        write_json(str(args.json), "keras", rows, {"config": config, "targets": TARGETS, "results": results})
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
