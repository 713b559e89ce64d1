# Two commands for a newcomer: `make serve` and `make test`. Both install what they need.
VENV := .venv
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: serve test lint audit system-packages translations compile-translations

$(STAMP): pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

## Serve the app on the embedded defaults (SQLite in instance/, created on first start).
serve: $(STAMP)
	$(VENV)/bin/flask --app wsgi run --host $(HOST) --port $(PORT)

## Run the whole test suite: lint, Flask test client, and a real Chromium.
test: $(STAMP) system-packages lint
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -r prospectra
	$(VENV)/bin/lint-imports  # the layers drawn in pyproject.toml [tool.importlinter]

## Known vulnerabilities in the pinned dependencies (needs PyPI's JSON API; see README).
# Its own virtualenv: pip-audit's dependencies must not move the app's pinned ones.
audit:
	python3 -m venv .venv-audit
	.venv-audit/bin/pip install --quiet pip-audit
	.venv-audit/bin/pip-audit --requirement requirements.lock --no-deps --disable-pip --strict

# Browser tests drive Debian's Chromium by path (Playwright cannot download browsers here); the
# deployment test (tests/test_deployment.py) runs Debian's nginx as a master process of its own,
# never the system service.
system-packages:
	@missing=; \
	command -v chromium >/dev/null || missing=chromium; \
	[ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	[ -z "$$missing" ] || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; }

## Refresh the French catalog after changing texts: extract, merge, then translate and compile.
translations: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -o prospectra/translations/messages.pot .
	$(VENV)/bin/pybabel update -i prospectra/translations/messages.pot -d prospectra/translations -w 100
	@echo "Translate the new msgids in prospectra/translations/fr/LC_MESSAGES/messages.po, then: make compile-translations"

compile-translations: $(STAMP)
	$(VENV)/bin/pybabel compile -d prospectra/translations
