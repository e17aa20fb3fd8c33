# The two commands of the README. Both set up a fresh machine first (deploy/setup.sh).
.PHONY: up test setup

up: setup ## run the whole platform locally with a demo city; Ctrl-C stops it
	.venv/bin/python -m deploy.local up $(ARGS)

test: setup ## unit + integration tests against a real Kafka broker and PostgreSQL
	.venv/bin/python -m pytest $(ARGS)

setup:
	@bash deploy/setup.sh
