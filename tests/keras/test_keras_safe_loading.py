"""A `.keras` file is data: in Keras' safe mode (its default) a schedule's import path is refused before
anything is imported; ``safe_mode=False`` and registered functions load."""

import zipfile

import pytest

keras = pytest.importorskip("keras")

from clr_keras import CyclicLRSchedule  # noqa: E402
from tests.side_effects import SideEffectModule  # noqa: E402

from . import keras_scale_fns  # noqa: E402
from .keras_helpers import one_weight_model  # noqa: E402

SAVED_PATH = "tests.keras.keras_scale_fns:halve_each_cycle"


def model_file_naming(tmp_path, path):
    """A saved model whose schedule's scale_fn is the import path `path` (written into the file's config)."""
    model = one_weight_model(CyclicLRSchedule(step_size=4.0, scale_fn=keras_scale_fns.halve_each_cycle))
    original = tmp_path / "original.keras"
    model.save(original)
    edited = tmp_path / "edited.keras"
    with zipfile.ZipFile(original) as source, zipfile.ZipFile(edited, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "config.json":
                assert SAVED_PATH.encode() in data
                data = data.replace(SAVED_PATH.encode(), path.encode())
            target.writestr(item, data)
    return edited


@pytest.fixture
def module(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    return SideEffectModule(tmp_path)


def test_load_model_in_safe_mode_refuses_an_import_path_without_importing_it(tmp_path, module):
    path = model_file_naming(tmp_path, module.path)
    with pytest.raises(Exception, match=r"was not imported.*load_model\(path, safe_mode=False\)") as refused:
        keras.saving.load_model(path)
    assert isinstance(refused.value, (TypeError, ValueError))
    module.assert_not_imported()
    with pytest.raises(ValueError, match="was not imported"):
        CyclicLRSchedule.from_config({"scale_fn": {"import_path": module.path}})
    module.assert_not_imported()


def test_load_model_with_safe_mode_off_imports_the_trusted_function(tmp_path, module):
    loaded = keras.saving.load_model(model_file_naming(tmp_path, module.path), safe_mode=False)
    module.assert_imported()
    assert float(loaded.optimizer._learning_rate(4)) == pytest.approx(0.001 + 0.005 * 0.5)


def test_a_keras_registered_function_loads_in_safe_mode(tmp_path):
    model = one_weight_model(CyclicLRSchedule(step_size=4.0, scale_fn=keras_scale_fns.slow_decay))
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert loaded.optimizer._learning_rate.schedule.scale_fn is keras_scale_fns.slow_decay
