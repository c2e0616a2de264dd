"""What the LR range test costs beyond training: `clr_torch.range_test` against the same plain SGD steps.

Run: ``python benchmarks/bench_range_test.py [--json results.json]``. A script, not a test. Both sides train
the same small MLP on the digits for the same number of steps; the range test also sets the lr each step,
smooths and records the loss, copies the weights and optimizer state in and back. Target: <= 1.1x.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
from harness import compare, print_rows, write_json

from clr_tools.demo.data import load_digits
from clr_torch import range_test

STEPS = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=None, help="write the results to this file")
    parser.add_argument("--rounds", type=int, default=9)
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    data = load_digits()
    x, y = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    batches = [(x[k:k + 32], y[k:k + 32]) for k in range(0, len(y), 32)]
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.functional.cross_entropy

    def plain_training() -> None:
        for step in range(STEPS):
            batch_x, batch_y = batches[step % len(batches)]
            optimizer.zero_grad()
            loss = loss_fn(model(batch_x), batch_y)
            loss.backward()
            optimizer.step()
            float(loss.detach())  # the range test reads each loss too

    def the_range_test() -> None:
        # diverge_factor so high that every run does all STEPS steps
        range_test(model, optimizer, loss_fn, batches, start_lr=1e-5, end_lr=1e-2, num_iter=STEPS,
                   diverge_factor=1e9)

    rows = [compare(f"range test vs plain training, {STEPS} steps (torch)", the_range_test, plain_training,
                    target=1.1, number=1, rounds=arguments.rounds, unit="ms", scale=1e3)]
    print_rows("LR range test overhead", rows)
    write_json(arguments.json, "range_test", rows)


if __name__ == "__main__":
    main()
