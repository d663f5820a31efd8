# The two commands of the README: `make run` and `make test`. Both install what is missing first.
PY := .venv/bin/python

.PHONY: setup run test test-fast bench screenshots
setup:
	@bash scripts/bootstrap.sh

run: setup
	$(PY) main.py

# pytest-xvfb starts a virtual X server, so Qt windows and GL contexts are real.
test: setup
	$(PY) -m pytest -q

# Skip the slow end-to-end tests while iterating.
test-fast: setup
	$(PY) -m pytest -q -m "not slow"

bench: setup
	$(PY) -m bench

# The studio pictures of the docs, grabbed from the running window under a virtual X server.
screenshots: setup
	xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) main.py screenshots -o docs/images
