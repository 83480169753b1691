# flipbot — every target creates the virtual environment it needs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORPUS ?= corpus/flipbot_corpus_v1.jsonl.gz
OUT ?= artifacts
EPOCHS ?= 200

.PHONY: demo test check lint types bench e2e clean help venv mutation

help:
	@echo "make demo   - train, gate, export and dry-run the bot on the shipped corpus"
	@echo "make test   - run the test suite"
	@echo "make check  - lint + types + tests (what CI runs)"
	@echo "make bench  - batched vs reference trainer, prints 'speedup: <x>'"
	@echo "make e2e    - run the composite Action end to end (act, GitHub stand-in)"

$(STAMP): requirements/base.txt requirements/train.txt requirements/dev.txt requirements/ci-tools.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements/dev.txt -r requirements/ci-tools.txt
	touch $(STAMP)

venv: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not e2e"

# Mutation testing of the safety-critical modules ([tool.mutmut] in pyproject.toml,
# docs/MUTATION.md); not part of `make test`. MUTATION_CHILDREN=1 on a shared machine.
MUTATION_CHILDREN ?= 2
mutation: $(STAMP)
	$(BIN)/mutmut run --max-children $(MUTATION_CHILDREN)
	$(BIN)/mutmut results

# The composite Action run for real (act, host mode, offline) against the GitHub stand-in.
e2e: $(STAMP)
	$(BIN)/python -m pytest -q -m e2e tests/action

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

check: lint types test

bench: $(STAMP)
	$(BIN)/python -m trainer.bench

demo: $(STAMP)
	$(BIN)/python -m trainer loso --corpus $(CORPUS) --seeds 0,1,2,3,4 --epochs $(EPOCHS) --out-dir $(OUT)/loso
	$(BIN)/python -m gate $(OUT)/loso --seeds 0,1,2,3,4 --exit-zero --plots
	$(BIN)/python -m trainer export --corpus $(CORPUS) --verdict-dir $(OUT)/loso --registry model/tiny/registry.json --out-dir $(OUT)/export || test $$? -eq 1  # 1: nothing to export (refused/HOLD)
	$(BIN)/python -m bot --verdict-dir $(OUT)/loso --artifacts $(OUT)/export --registry model/tiny/registry.json --repo local/flipbot --base main --dry-run --no-fail-on-refusal

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache
