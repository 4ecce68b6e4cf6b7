# MCU case desk. `make run` starts the whole desk; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test test-fast lint format migrate seed bench fuzz check-deploy messages clean screenshots

install: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.lock
	touch $@

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

## Web, Celery worker and beat on SQLite and a server-less broker; Ctrl-C stops all.
run: seed
	$(BIN)/python manage.py compilemessages --ignore=.venv -v0 || true
	$(BIN)/python manage.py rundesk --port $(PORT)

## The whole suite: SQLite unless DATABASE_URL is set.
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

## The quick loop while coding: everything but the Chromium and real-service tests.
test-fast: install
	$(BIN)/pytest -m "not browser and not integration" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Screenshots of the list, a card and the notices at 1440×900 and 390×844 for every role,
## into var/screenshots/ (a demo desk on SCREENSHOT_PORT, its own database under var/screenshots-desk/).
SCREENSHOT_PORT ?= 8099
screenshots: install
	rm -rf var/screenshots-desk && mkdir -p var/screenshots var/screenshots-desk
	VAR_DIR=var/screenshots-desk DATABASE_URL= $(BIN)/python manage.py migrate --noinput -v0
	VAR_DIR=var/screenshots-desk DATABASE_URL= $(BIN)/python manage.py seed_demo
	VAR_DIR=var/screenshots-desk DATABASE_URL= $(BIN)/python manage.py runserver 127.0.0.1:$(SCREENSHOT_PORT) --noreload --insecure & \
	  echo $$! > var/screenshots-desk/server.pid; \
	  for i in $$(seq 1 60); do curl -sf -o /dev/null http://127.0.0.1:$(SCREENSHOT_PORT)/login/ && break; sleep 0.5; done; \
	  $(BIN)/python -m tests.browser.screenshots --base-url http://127.0.0.1:$(SCREENSHOT_PORT) --out var/screenshots; \
	  status=$$?; kill $$(cat var/screenshots-desk/server.pid); exit $$status

## Benchmarks: figures and ratios printed, nothing asserted.
bench: install
	$(BIN)/python -m bench

## The API contract test with a bigger budget than CI's (schemathesis, every operation).
FUZZ_EXAMPLES ?= 200
FUZZ_TIME ?= 600
fuzz: install
	CONTRACT_MAX_EXAMPLES=$(FUZZ_EXAMPLES) CONTRACT_MAX_TIME=$(FUZZ_TIME) \
	$(BIN)/pytest -n 0 -p no:randomly tests/integration/test_api_contract.py \
	  tests/integration/test_api_contract_channels.py

check-deploy: install
	DJANGO_ENV=production SECRET_KEY=$$(python3 -c 'import secrets;print(secrets.token_urlsafe(60))') \
	ALLOWED_HOSTS=desk.example.org EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

messages: install
	$(BIN)/python manage.py makemessages -l en --ignore=.venv
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles
