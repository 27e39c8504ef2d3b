# 《动手学 Transformer》—— everything a reader, a teacher or CI needs.
#   make book         set up .venv/, build the static site and the slides into _build/html/ from
#                     the stored outputs
#   make serve        serve the built site on http://127.0.0.1:8000/
#   make lab          open the chapters in JupyterLab (widgets live)
#   make test         lint, unit tests, nbval over every notebook (under generic numerics),
#                     browser tests of the built site and of JupyterLab
#   make execute      re-execute the notebooks after editing them (stores outputs and widget state)
#   make portability  nbval under several numerics settings: what a reader's CPU would compute
#   make slides       each chapter as reveal.js slides in _build/html/slides/
#   make pdf          the whole book as one A4 PDF for handouts: _build/pdf/transformer-book.pdf
#   make pack         the built site as a zip for a classroom computer without this project
#   make hub-sizing   each chapter's peak memory and CPU time per student (sizing a JupyterHub)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8000
# 127.0.0.1: only this computer; HOST=0.0.0.0 make serve lets the classroom network in.
HOST   ?= 127.0.0.1

# What another CPU would do, on this one (see utils/reference.py): torch and MKL read these at
# start-up. GENERIC: ATen's generic kernels, MKL's reproducible path, oneDNN without AVX.
NUMERICS_GENERIC := ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE ONEDNN_MAX_CPU_ISA=SSE41
NUMERICS_AVX     := ATEN_CPU_CAPABILITY=default MKL_CBWR=AVX ONEDNN_MAX_CPU_ISA=AVX
NUMERICS_AVX2    := ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2 ONEDNN_MAX_CPU_ISA=AVX2
# Both cores, one thread each (two workers that each start two threads thrash on two cores);
# --dist loadscope keeps each notebook (and each test module) on one worker.
PYTEST := env OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadscope

.PHONY: install book slides pdf pack hub-sizing serve lab test check-models lint execute portability models benchmark clean

install: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "需要 Python 3.11 或更新的版本 (needs Python >= 3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $(STAMP)

# The site is built from the outputs stored in the notebooks (nbval checks them in make test;
# make execute refreshes them): nothing is executed here.
# -W: any Sphinx warning fails the build; -n: warn about broken references.
# The site is built afresh each time (about half a minute): Sphinx 7.4 does not overwrite a
# static file that is already there (an edited CSS or JS file would not reach a site built
# before), and with _static/ emptied but no page changed it skips the step that fills it again;
# pages of renamed chapters would also stay behind.
book: install
	rm -rf _build/html
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going
	$(BIN)/python scripts/make_slides.py
	@echo
	@echo "静态网站已生成：_build/html/ 。运行 make serve，然后在浏览器打开 http://127.0.0.1:$(PORT)/"

# The chapters as reveal.js slide decks in _build/html/slides/, from the stored outputs like the
# site; every file they load is the site's own (scripts/make_slides.py). make book builds them too
# (the teacher's guide links to them); this target rebuilds only the decks.
slides: install
	@test -d _build/html/_static || { echo "还没有构建网站：请先运行 make book"; exit 1; }
	$(BIN)/python scripts/make_slides.py

# The whole book printed to one PDF (A4) by the system Chromium, from Jupyter Book's singlehtml
# build in _build/print/ (the site in _build/html/ is not touched); offline, like the site.
pdf: install
	$(BIN)/python scripts/make_pdf.py

# _build/html/ zipped with a small server (Python 3 only) and start files for Windows, macOS and
# Linux: _build/transformer-book-site.zip. Pages must come over HTTP, not file://.
pack:
	@test -f _build/html/index.html || { echo "还没有构建网站：请先运行 make book"; exit 1; }
	$(BIN)/python scripts/make_classroom_pack.py

# Executes every chapter once in a fresh kernel and prints its peak memory and CPU time, and
# what a class of 40 needs (teacher_guide.md has the figures). make hub-sizing ARGS="--students 30"
hub-sizing: install
	$(BIN)/python scripts/measure_classroom.py $(ARGS)

serve:
	@test -f _build/html/index.html || { echo "还没有构建网站：请先运行 make book"; exit 1; }
	$(BIN)/python -m http.server $(PORT) --bind $(HOST) --directory _build/html

lab: install
	$(BIN)/jupyter lab chapters/ $$([ "$$(id -u)" -eq 0 ] && echo --allow-root)

lint: install
	$(BIN)/ruff check utils tests scripts
	$(BIN)/ruff format --check utils tests scripts

# The browser tests check the site that `book` just built. Each notebook is executed once,
# by nbval, under generic numerics: its stored outputs (computed natively by make execute)
# must come out the same, as on a reader's machine with another CPU.
test: book lint
	env $(NUMERICS_GENERIC) $(PYTEST) -m "not slow" tests chapters --nbval --nbval-current-env

# The slow tests: retrain the two largest reference models (ViT, numerals) and compare them
# bit for bit with the shipped ones (the others are retrained in make test); print the whole
# book to PDF and check every page is in it (make test prints a part). CI runs it too.
check-models: install
	$(PYTEST) -m slow tests

# Re-execute the notebooks in place after editing them: fresh stored outputs for nbval and
# the widget state the static site needs.
execute: install
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace chapters/*.ipynb

# Strict nbval under the native settings and three others. A cell is reproducible only if
# it passes under all of them.
NBVAL := $(PYTEST) chapters --nbval --nbval-current-env -q
portability: install
	$(NBVAL)
	env $(NUMERICS_GENERIC) $(NBVAL)
	env $(NUMERICS_AVX) $(NBVAL)
	env $(NUMERICS_AVX2) $(NBVAL)

# Retrain the shipped reference models (data/models/), each under utils.reference's numerics,
# and export them again for the static site (assets/models/, run by assets/js/book-nn.js).
models: install
	$(BIN)/python scripts/train_reference_models.py $(ARGS)
	$(BIN)/python scripts/export_web_models.py

# make benchmark ARGS="--runs 1 --training" (see scripts/benchmark.py --help)
benchmark: install
	$(BIN)/python scripts/benchmark.py $(ARGS)

clean:
	rm -rf _build
