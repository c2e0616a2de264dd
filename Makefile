# Every target builds .venv on its own the first time (and again when the dependencies change).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEV_EXTRAS := .[all,test]
# The Keras backend the tests use, and scikit-learn for the digits data of the demo and range tests.
DEV_PACKAGES := tensorflow-cpu scikit-learn

.PHONY: test venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '$(DEV_EXTRAS)' $(DEV_PACKAGES)
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
