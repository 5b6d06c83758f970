# The two commands: `make run` and `make test`. CI calls `make test` only.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint system-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# setup.py compiles services/carebridge/oscar/fastread.py (mypyc, a C compiler): a change to
# it reinstalls, so the compiled module never lags its source.
$(STAMP): $(BIN)/python pyproject.toml setup.py lab/pyproject.toml services/carebridge/oscar/fastread.py
	command -v cc >/dev/null 2>&1 || bash tests/system-deps.sh
	$(BIN)/pip install --quiet -e '.[test]' -e ./lab
	touch $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(BIN)/carebridge db upgrade
	@echo "MLLP: 127.0.0.1:2575 (bind a facility's senders with: carebridge facility networks NAME --add 127.0.0.1)"
	$(BIN)/carebridge serve --mllp 127.0.0.1:2575

system-deps:
	bash tests/system-deps.sh

test: $(STAMP) system-deps
	$(BIN)/ruff check services lab tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check services lab tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP) system-deps
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/hl7_bench.py
	$(BIN)/python bench/export_bench.py
	$(BIN)/python bench/submit_bench.py
	$(BIN)/python bench/scale_bench.py

clean:
	rm -rf $(VENV) var build *.egg-info
