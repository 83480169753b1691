# flipbot — every target creates the virtual environment it needs, and says what it is doing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two layers: what the demo runs (torch, gate, bot), then the test and lint tools on top.
DEMO_STAMP := $(VENV)/.installed-demo
TEST_STAMP := $(VENV)/.installed-test
# uv (requirements/uv.txt) when it can be had, pip otherwise; one line per phase, a line
# every 10 s while a phase runs. --estimate: cold,warm seconds measured (docs/PERFORMANCE.md).
SETUP := $(PY) -m flipbot.venvs ensure --venv $(VENV) --uv-bootstrap .cache/uv-bootstrap
CORPUS ?= corpus/flipbot_corpus_v1.jsonl.gz
OUT ?= artifacts
EPOCHS ?= 200
SEEDS ?= 0,1,2,3,4
T0 := $(shell date +%s)
comma := ,
say = @echo "flipbot $@: $(1)"

.PHONY: demo promote test check lint types imports bench e2e clean help venv venv-demo pictures lock mutation

help:
	@echo "make demo     - train the LOSO seeds, then the trusted side (audit, gate, export, dry-run flip)"
	@echo "make promote  - the trusted side on artifacts/loso: tie, audit, gate, export, dry-run flip"
	@echo "make test     - run the test suite"
	@echo "make check    - lint + types + import contracts + tests (what CI runs)"
	@echo "make bench    - batched vs reference trainer, prints 'speedup: <x>'"
	@echo "make e2e      - run the composite Action end to end (act, GitHub stand-in)"
	@echo "make pictures - redraw docs/img/*.png from the shipped corpus's LOSO run"
	@echo "make lock     - remake the hash-pinned locks (bot.lock, train.lock, uv.txt)"

$(DEMO_STAMP): requirements/bot.txt requirements/base.txt requirements/train.txt requirements/uv.txt
	@$(SETUP) --estimate 60,15 -r requirements/train.txt
	@touch $@

$(TEST_STAMP): $(DEMO_STAMP) requirements/dev.txt requirements/ci-tools.txt
	@$(SETUP) --estimate 30,8 -r requirements/dev.txt -r requirements/ci-tools.txt
	@touch $@

venv-demo: $(DEMO_STAMP)
venv: $(TEST_STAMP)

test: $(TEST_STAMP)
	$(call say,the test suite (not e2e; about 6 min on 2 cores, more when they are busy))
	$(BIN)/python -m pytest -q -m "not e2e"

# Mutation testing of the safety-critical modules ([tool.mutmut] in pyproject.toml,
# docs/MUTATION.md); not part of `make test`. MUTATION_CHILDREN=1 on a shared machine.
MUTATION_CHILDREN ?= 2
mutation: $(TEST_STAMP)
	$(BIN)/mutmut run --max-children $(MUTATION_CHILDREN)
	$(BIN)/mutmut results
	$(BIN)/python tools/mutation_scores.py

# The composite Action run for real (act, host mode, offline) against the GitHub stand-in.
e2e: $(TEST_STAMP)
	$(call say,act runs action.yml end to end: train jobs then promote jobs (about 3.5 min on 2 busy cores))
	$(BIN)/python -m pytest -q -m e2e tests/action

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(TEST_STAMP)
	$(BIN)/mypy

# The import contracts ([tool.importlinter] in pyproject.toml): layers, forbidden imports, no circle.
imports: $(TEST_STAMP)
	$(BIN)/lint-imports --no-cache

check: lint types imports test

bench: $(DEMO_STAMP)
	$(BIN)/python -m trainer.bench

demo: $(DEMO_STAMP)
	$(call say,1/2 train $(SEEDS) x every held-out source x $(EPOCHS) epochs: the GPU side of a workflow (about 4 min on 2 cores))
	$(BIN)/python -m trainer loso --corpus $(CORPUS) --seeds $(SEEDS) --epochs $(EPOCHS) --out-dir $(OUT)/loso
	$(call say,2/2 the trusted side from the loso files alone: corpus tie$(comma) audit of a secret sample of folds$(comma) gate$(comma) export$(comma) the bot's dry run (no GitHub$(comma) no file of the working tree written; about 1 min))
	$(BIN)/python -m bot promote --loso-dir $(OUT)/loso --seeds $(SEEDS) --epochs $(EPOCHS) --corpus $(CORPUS) --registry model/tiny/registry.json --repo local/flipbot --base main --work-dir $(OUT) --dry-run --no-fail-on-refusal
	@echo "flipbot demo: done in $$(( $$(date +%s) - $(T0) )) s (set-up included); verdict, pictures and export in $$(ls -td $(OUT)/flipbot-promote-* | head -1)"

# The trusted side as the Action's flip job runs it, on the loso files of `make demo` (or of
# GPU runners copied to $(OUT)/loso): only loso_seed<N>.json is read from there.
promote: $(DEMO_STAMP)
	$(call say,tie the loso files to the corpus$(comma) audit a secret sample of folds$(comma) gate$(comma) export$(comma) dry-run flip)
	$(BIN)/python -m bot promote --loso-dir $(OUT)/loso --seeds $(SEEDS) --epochs $(EPOCHS) --corpus $(CORPUS) --registry model/tiny/registry.json --repo local/flipbot --base main --work-dir $(OUT) --dry-run --no-fail-on-refusal

# The README's pictures, from the shipped corpus: reuses $(OUT)/loso when it holds a run of
# $(SEEDS) on $(CORPUS) (e.g. after `make demo`), else trains one first.
pictures: $(DEMO_STAMP)
	@for s in $(subst $(comma), ,$(SEEDS)); do \
	  grep -qs '"corpus": "$(CORPUS)"' $(OUT)/loso/loso_seed$$s.json \
	  && grep -qs '"epochs": $(EPOCHS),' $(OUT)/loso/loso_seed$$s.json || exit 1; done \
	  || { echo "flipbot pictures: no $(EPOCHS)-epoch LOSO run of $(CORPUS) in $(OUT)/loso; training one (about 4 min)"; \
	       $(BIN)/python -m trainer loso --corpus $(CORPUS) --seeds $(SEEDS) --epochs $(EPOCHS) --out-dir $(OUT)/loso; }
	$(BIN)/python -m gate.plots $(OUT)/loso --out-dir docs/img

# The trusted job's locks. bot.lock: every package the bot imports, with the sha256 of every
# file PyPI has for it (all platforms), so `--require-hashes` works on any runner. train.lock:
# the torch venv of the promote command's children, for the trusted job's platform (Linux
# x86_64, CPython 3.11), torch's CPU build from TORCH_CPU_LINKS (PyTorch's CPU wheel page by
# default; pip's configured find-links folder when it holds the wheel; see train.lock's header).
TORCH_CPU_LINKS ?= $(or $(shell ls $$($(PY) -m pip config get global.find-links 2>/dev/null)/torch-*+cpu-*.whl >/dev/null 2>&1 && $(PY) -m pip config get global.find-links 2>/dev/null),https://download.pytorch.org/whl/cpu/torch/)
lock: $(DEMO_STAMP)
	.cache/uv-bootstrap/bin/uv pip compile --no-config --universal --python-version 3.11 \
	  --generate-hashes --custom-compile-command "make lock" requirements/bot.txt -o requirements/bot.lock
	.cache/uv-bootstrap/bin/uv pip compile --no-config --python-platform x86_64-manylinux_2_28 \
	  --python-version 3.11 --find-links $(TORCH_CPU_LINKS) --no-emit-find-links \
	  --generate-hashes --custom-compile-command "make lock" requirements/train-cpu.in -o requirements/train.lock
	@sed -i '1,2d' requirements/train.lock && cat requirements/train-lock.header requirements/train.lock > requirements/.train.lock.tmp \
	  && mv requirements/.train.lock.tmp requirements/train.lock
	.cache/uv-bootstrap/bin/uv pip compile --no-config --universal --python-version 3.11 \
	  --generate-hashes --custom-compile-command "make lock" requirements/uv.in -o requirements/uv.txt

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache
