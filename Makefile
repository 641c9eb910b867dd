# The two commands: `make run` (set up and serve on http://localhost:8000) and `make test` (everything).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FRONTEND := frontend

.PHONY: run dev test lint typecheck pytest frontend-test e2e build-frontend bench clean system-deps

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PIP) install -q -r requirements-dev.txt
	touch $@

$(FRONTEND)/node_modules/.installed: $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && npm ci --no-audit --no-fund
	touch $@

build-frontend:
	@if [ -f $(FRONTEND)/package.json ]; then \
		$(MAKE) $(FRONTEND)/node_modules/.installed && cd $(FRONTEND) && npm run build; \
	fi

run: $(VENV)/.runtime build-frontend
	$(PY) backend_api.py

dev: $(VENV)/.runtime $(FRONTEND)/node_modules/.installed
	@echo "API on :8000, Vite dev server with /api proxy on :5173"
	$(PY) backend_api.py & cd $(FRONTEND) && npm run dev

system-deps:
	bash scripts/system_deps.sh

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.dev
	$(VENV)/bin/mypy .

pytest: $(VENV)/.dev system-deps
	$(PY) -m pytest

frontend-test: build-frontend
	@if [ -f $(FRONTEND)/package.json ]; then cd $(FRONTEND) && npm test; fi

e2e: $(VENV)/.runtime build-frontend system-deps
	@if [ -f $(FRONTEND)/package.json ]; then cd $(FRONTEND) && npm run e2e; fi

test: lint typecheck pytest frontend-test e2e

bench: $(VENV)/.dev
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) $(FRONTEND)/node_modules $(FRONTEND)/dist var
