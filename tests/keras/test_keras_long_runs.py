"""Long runs with the Keras callback: `keep_history` in real `fit` runs, Keras' logs still get the rates."""

import json

import pytest

keras = pytest.importorskip("keras")
import numpy as np  # noqa: E402

from clr_keras import CyclicLR  # noqa: E402

from .keras_helpers import core_lrs, one_weight_model, ones, sgd_weights, weight  # noqa: E402

ARGUMENTS = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 3.0}


@pytest.mark.parametrize("keep", [False, 4])
def test_keep_history_bounds_the_record_not_the_rates_or_the_logs(keep):
    model = one_weight_model(0.5)
    clr = CyclicLR(**ARGUMENTS, keep_history=keep)
    fit = model.fit(*ones(5), batch_size=2, epochs=2, verbose=0, shuffle=False, callbacks=[clr])
    lrs = core_lrs(0, 10, **ARGUMENTS)
    assert weight(model) == sgd_weights(lrs)[-1]  # every step still ran at its own rate
    np.testing.assert_array_equal(fit.history["lr"], lrs[4::5])  # CSVLogger and TensorBoard read these
    assert clr.history.get("lr", []) == ([] if keep is False else lrs[-4:].tolist())
    resumed = CyclicLR(**ARGUMENTS, keep_history=keep)
    resumed.load_state_dict(json.loads(json.dumps(clr.state_dict())))
    model.fit(*ones(3), batch_size=2, epochs=1, verbose=0, shuffle=False, callbacks=[resumed])
    assert weight(model) == sgd_weights(core_lrs(0, 13, **ARGUMENTS))[-1]
    assert resumed.history.get("iterations", []) == ([] if keep is False else [10, 11, 12, 13])
