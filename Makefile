# The two set-up commands of the README: `make demo` and `make test`.
# Only Python 3.11+ and access to the package registries are needed: uv is installed with pip
# when missing, and everything else comes from the committed uv.lock.

PYTHON ?= python3
UV ?= $(PYTHON) -m uv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
RUN := $(UV) run --frozen --no-sync

.PHONY: help setup browser demo test lint format bench clean

help:
	@echo "make demo   simulate 60 days, run the pipeline, serve Dagster (:3000) and dashboards (:8501)"
	@echo "make test   lint, then the whole test suite"
	@echo "make lint   ruff check + ruff format --check"

setup: .venv/.synced

.venv/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

demo: setup
	$(RUN) returnops demo

lint: setup
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: setup
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

# The dashboard's one real-browser test drives Debian's chromium (playwright's own browser
# download is not used). Installed with apt when missing; sudo only when not already root.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }; }

test: lint browser
	$(RUN) pytest

# Every benchmarks/*.py with its defaults, in turn; each prints its figures. Fails if any failed.
bench: setup
	@status=0; for script in benchmarks/*.py; do \
		echo "== $$script"; \
		$(RUN) python $$script || status=1; \
	done; exit $$status

clean:
	rm -rf .venv .pytest_cache .ruff_cache dbt_project/target dbt_project/logs
