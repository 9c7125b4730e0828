# tinhso — two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: install demo serve test lint bench clean

$(BIN)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

install: $(BIN)/.installed

# Demo: SQLite database, demo province, web + worker on http://127.0.0.1:$(PORT)
# (with the sandbox payment gateway: no money moves, every page says so)
demo: install
	test -n "$$SECRET_KEY" || $(BIN)/python -m tinhso.core.secret_key >/dev/null
	$(BIN)/tinhso migrate --noinput
	PAYMENT_SANDBOX=1 $(BIN)/tinhso demo --no-logins
	$(BIN)/tinhso collectstatic --noinput -v 0
	PAYMENT_SANDBOX=1 SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0 $(BIN)/tinhso serve --port $(PORT) --logins

test: install
	./scripts/ensure-system-packages
	./scripts/test-legs

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	SECRET_KEY=lint-only-not-a-secret-key-0123456789abcdefghijklmnop $(BIN)/mypy src

bench: install
	test -n "$$SECRET_KEY" || $(BIN)/python -m tinhso.core.secret_key var/secret_key >/dev/null
	for b in benchmarks/*.py; do echo "== $$b"; SECRET_KEY_FILE=$${SECRET_KEY_FILE:-$(CURDIR)/var/secret_key} $(BIN)/python $$b || exit 1; done

clean:
	rm -rf var/test*.log var/test.sqlite3*
