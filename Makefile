# Every target builds .venv on its own the first time (and again when the dependencies change).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# [all] brings jax and optax too: the clr_optax tests and Keras on the JAX backend run in `make test`.
# [eval] brings Prodigy and schedule-free, which only `make eval-range-test` compares against (never the tests).
DEV_EXTRAS := .[all,test,docs,lint,dist,eval]
# The Keras backend the tests and the Keras demo use.
DEV_PACKAGES := tensorflow-cpu
DEMO_ARGS ?=
# The oldest Keras 3 the Keras tests run against (pyproject.toml's lower bound), on the torch backend.
KERAS_OLDEST := 3.0.0
OLDEST_VENV := .venv-keras-oldest
OLDEST_STAMP := $(OLDEST_VENV)/.installed-stamp

.PHONY: bench demo dist docs eval-range-test lint test test-core test-keras-oldest test-thorough venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '$(DEV_EXTRAS)' $(DEV_PACKAGES)
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/clr demo $(DEMO_ARGS)

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

# How good the range test's suggestions are on small real problems (an evaluation, a few minutes), and the
# plan they give against Prodigy, schedule-free AdamW and the best fixed lr (EVAL_METHODS_ARGS=--full: 10 seeds).
EVAL_METHODS_ARGS ?=
eval-range-test: $(STAMP)
	$(PY) benchmarks/eval_range_test.py $(EVAL_RANGE_TEST_ARGS)
	$(PY) benchmarks/eval_methods.py $(EVAL_METHODS_ARGS)

# The sdist and the wheel, in dist/ (tests/packaging installs a wheel into a clean venv and runs it).
dist: $(STAMP)
	$(PY) -m build --outdir dist .

docs: $(STAMP)
	$(PY) docs/make_figures.py
	$(PY) -m mkdocs build --strict

test: $(STAMP)
	$(PY) -m pytest

# The core and its compositions, frameworks unimportable (their parity tests skip): seconds, for core work.
test-core: $(STAMP)
	$(PY) -m pytest -p tests.without_frameworks tests/core tests/compositions clr_core

# The whole suite with ten times the property-test examples of the default (fast) Hypothesis profile.
test-thorough: $(STAMP)
	HYPOTHESIS_PROFILE=thorough $(PY) -m pytest

# ruff (pyflakes, pycodestyle, isort, bugbear, pyupgrade, Google-style docstrings) and strict mypy on the
# packages listed in pyproject.toml's [tool.mypy]
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

$(OLDEST_STAMP): constraints.txt Makefile
	test -x $(OLDEST_VENV)/bin/python || $(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install --quiet -c constraints.txt torch keras==$(KERAS_OLDEST) 'numpy<2' \
		pytest hypothesis
	touch $(OLDEST_STAMP)

# The callback in real training (every data setup, interrupted fits, other lr writers, checkpoints) and the
# torch-backend script, on the oldest supported Keras.
test-keras-oldest: $(OLDEST_STAMP)
	KERAS_BACKEND=torch PYTHONPATH=$(CURDIR) $(OLDEST_VENV)/bin/python -m pytest -q -p no:cacheprovider \
		-o addopts= tests/keras/test_keras_fit.py tests/keras/test_keras_backends.py::test_torch_backend

clean:
	rm -rf $(VENV) $(OLDEST_VENV) .pytest_cache .hypothesis *.egg-info build dist demo-output site
