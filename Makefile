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
# A second environment without TensorFlow, at the versions of Colab's TPU runtime (see
# envs/colab-tpu.txt): the tests run Part IV's notebooks there on Keras's JAX backend.
TPU_VENV := .venv-colab-tpu
TPU_STAMP := $(TPU_VENV)/.installed

.PHONY: book test venv pair lint clean help

help:
	@echo "make book   build the website into _build/html (open _build/html/index.html)"
	@echo "make test   run every test in quick mode"
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

$(TPU_STAMP): envs/colab-tpu.txt
	test -x $(TPU_VENV)/bin/python || $(PYTHON) -m venv $(TPU_VENV)
	$(TPU_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TPU_VENV)/bin/python -m pip install --quiet -r envs/colab-tpu.txt
	touch $(TPU_STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The website is in _build/html: open _build/html/index.html in a browser."

# The test workers run side by side, one per core: one thread each avoids oversubscription.
test: export OMP_NUM_THREADS ?= 1
test: export OPENBLAS_NUM_THREADS ?= 1
test: export MKL_NUM_THREADS ?= 1
test: export TF_NUM_INTRAOP_THREADS ?= 1
test: export TF_NUM_INTEROP_THREADS ?= 1
test: $(STAMP) $(TPU_STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --nbval-lax --nbval-current-env \
		--nbval-cell-timeout=900

pair: $(STAMP)
	$(BIN)/coursekit pair

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf _build
