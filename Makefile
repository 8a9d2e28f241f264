# The two commands of the README: `make run` and `make test`. Each sets up
# everything it needs (a virtual environment with the project installed).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench clean catalogues chromium

# The pages' message catalogues: web/locale/*/LC_MESSAGES/messages.po -> messages.mo
catalogues: $(STAMP)
	$(BIN)/python -c 'from web.i18n import compile_catalogues; compile_catalogues()'

# The page tests drive Debian's chromium (Playwright cannot download its own here).
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium; \
	  else echo "The page tests need chromium: run 'sudo apt-get install -y chromium'" \
	            "(or set KINERJA_CHROMIUM to a chromium binary), then make test again" >&2; \
	       exit 1; fi; }

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

run: $(STAMP) catalogues
	$(BIN)/kinerja dev

test: $(STAMP) catalogues chromium
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench.event_log

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
