# One command each: `make run` serves the app, `make test` runs every test.
# `make serve REPLICAS=N PORT=P` serves it from N processes behind nginx; `make loadtest URL=... SESSIONS=... SECONDS=...`
# puts simulated students on it (see README "Deploy").
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
REPLICAS ?= 2
ADDRESS ?= 127.0.0.1
URL ?= http://127.0.0.1:$(PORT)/
SESSIONS ?= 10
SECONDS ?= 30
KILL_AFTER ?=

.PHONY: run dev test lint bench serve loadtest plotly-bundle clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	$(BIN)/streamlit run app.py --server.headless true --server.port $(PORT)

# For development: error details on the page and reruns on save (the shipped config is a public deployment's).
dev: $(VENV)/.runtime
	$(BIN)/streamlit run app.py --server.port $(PORT) --client.showErrorDetails full \
		--server.fileWatcherType auto --server.runOnSave true

test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto

# The code is laid out by hand within 120 columns (aligned tables, one-line records); `ruff format` would rewrap
# most files, so lint is the same `ruff check` that `make test` runs first.
lint: $(VENV)/.dev
	$(BIN)/ruff check .

bench: $(VENV)/.dev
	$(BIN)/python -m bench

serve: $(VENV)/.runtime
	$(BIN)/python -m deploy.serve --replicas $(REPLICAS) --port $(PORT) --address $(ADDRESS)

loadtest: $(VENV)/.runtime
	$(BIN)/python -m bench.loadtest --url $(URL) --sessions $(SESSIONS) --seconds $(SECONDS) \
		$(if $(KILL_AFTER),--kill-after $(KILL_AFTER))

# plotly.js with only the trace types the app draws (ui/canvas/plotly, committed): rebuild it after changing its
# traces or upgrading plotly (its version must be the plotly.js plotly.py writes for). Needs Node.js 20+ and npm.
plotly-bundle:
	cd ui/canvas/plotly && npm ci --no-audit --no-fund && node build.js

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis artifacts
