# The course's two commands (see README.md):
#   make book   build the website into _build/html
#   make test   run every test (library, notebooks, bilingual checks, book build)
# Both create or reuse the virtual environment in .venv and install the pinned dependencies.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Extra arguments for installing torch, e.g. an index of CPU-only wheels on a machine
# without a GPU: make book TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
TORCH_PIP_ARGS ?=
# Notebooks run in quick mode unless the caller says otherwise.
COURSE_MODE ?= quick
export COURSE_MODE
# Progress bars are for people running a notebook; the website and the test logs show the
# per-epoch summaries instead.
export TQDM_DISABLE ?= 1
JOBS ?= auto
# Two environments at the versions of Google Colab's runtimes (envs/colab.toml): its CPU/GPU
# runtime (with TensorFlow) and its TPU runtime (without). The tests install the course there as
# a wheel and run each chapter's notebook as Colab runs it.
COLAB_VENVS := .venv-colab-cpu .venv-colab-tpu
COLAB_STAMPS := $(addsuffix /.installed,$(COLAB_VENVS))

.PHONY: book pdf test venv pair lint clean help

help:
	@echo "make book   build the website into _build/html (open _build/html/index.html)"
	@echo "make test   run every test in quick mode"
	@echo "make pdf    build the website, then one PDF per language into _build/pdf"
	@echo "make pair   regenerate each chapter's .ipynb from its .md (jupytext)"
	@echo "make lint   ruff check"

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; run: make PYTHON=python3.11 ...")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and alone: anything that depends on it must find this exact build.
	$(BIN)/python -m pip install --quiet $(TORCH_PIP_ARGS) torch==2.13.0
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

.venv-colab-%/.installed: envs/colab.toml envs/colab_requirements.py
	rm -rf .venv-colab-$*
	$(PYTHON) -m venv .venv-colab-$*
	$(PYTHON) envs/colab_requirements.py $* > .venv-colab-$*/requirements.txt
	.venv-colab-$*/bin/python -m pip install --quiet -r .venv-colab-$*/requirements.txt
	touch $@

book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The website is in _build/html: open _build/html/index.html in a browser."

# The offline edition: the built site printed by headless Chromium (Debian: apt-get install
# chromium), one PDF per language, into _build/pdf and the site's pdf/ folder (the landing page
# links there).
pdf: book
	$(BIN)/coursekit pdf

# Each notebook runs once in the pinned environment (tests/test_student.py: every cell, with the
# exercises' stubs and solutions), once as Colab runs it (tests/test_colab_*.py) and once in the
# book build; CONTRIBUTING.md shows how to run one notebook alone with nbval.
# The test workers run side by side, one per core: one thread each avoids oversubscription.
test: export OMP_NUM_THREADS ?= 1
test: export OPENBLAS_NUM_THREADS ?= 1
test: export MKL_NUM_THREADS ?= 1
test: export TF_NUM_INTRAOP_THREADS ?= 1
test: export TF_NUM_INTEROP_THREADS ?= 1
test: $(STAMP) $(COLAB_STAMPS)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile

pair: $(STAMP)
	$(BIN)/coursekit pair

# The chapters are linted through their paired .ipynb (ruff reads notebooks); the format check
# fails when a code cell of a chapter's .md is not as `coursekit format` writes it.
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks chapters
	$(BIN)/coursekit format --check

clean:
	rm -rf _build
