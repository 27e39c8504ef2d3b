# 《动手学 Transformer》—— everything a reader, a teacher or CI needs.
#   make book    set up .venv/, execute every notebook, build the static site into _build/html/
#   make serve   serve the built site on http://127.0.0.1:8000/
#   make lab     open the chapters in JupyterLab (widgets live)
#   make test    lint, unit tests, nbval over every notebook, browser test of the built site
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8000
# 127.0.0.1: only this computer; HOST=0.0.0.0 make serve lets the classroom network in.
HOST   ?= 127.0.0.1

.PHONY: install book serve lab test lint execute benchmark clean

install: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "需要 Python 3.11 或更新的版本 (needs Python >= 3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $(STAMP)

# -W: any Sphinx warning fails the build; -n: warn about broken references.
book: install
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going
	@echo
	@echo "静态网站已生成：_build/html/ 。运行 make serve，然后在浏览器打开 http://127.0.0.1:$(PORT)/"

serve:
	@test -f _build/html/index.html || { echo "还没有构建网站：请先运行 make book"; exit 1; }
	$(BIN)/python -m http.server $(PORT) --bind $(HOST) --directory _build/html

lab: install
	$(BIN)/jupyter lab chapters/ $$([ "$$(id -u)" -eq 0 ] && echo --allow-root)

lint: install
	$(BIN)/ruff check utils tests scripts
	$(BIN)/ruff format --check utils tests scripts

# The browser test checks the site that `book` just built.
test: book lint
	$(BIN)/python -m pytest tests chapters --nbval --nbval-current-env

# Re-execute the notebooks in place after editing them, so nbval has fresh stored outputs.
execute: install
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace chapters/*.ipynb

# make benchmark ARGS="--runs 1 --training" (see scripts/benchmark.py --help)
benchmark: install
	$(BIN)/python scripts/benchmark.py $(ARGS)

clean:
	rm -rf _build
