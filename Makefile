# motcua — `make` (or `make help`) lists the targets.
#
# Everything runs from the repository root; state of `make dev` lives in
# .data/ (PostgreSQL cluster, Temporal sqlite file, logs), binaries in bin/.

SHELL := bash
.DEFAULT_GOAL := help
GO ?= go

# Extra arguments for `make test`, e.g. make test GOTEST_ARGS='-run TestX ./api/'
GOTEST_ARGS ?=
export GOTEST_ARGS

.PHONY: help build dev test lint clean clean-data

help: ## Show this list of targets
	@echo 'Usage: make <target>'
	@echo
	@awk 'BEGIN { FS = ":[^#]*## " } /^[A-Za-z0-9_.\/-]+:[^#]*## / { printf "  %-13s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

build: ## Build bin/motcua (api, worker, migrate, seed, sim)
	$(GO) build -o bin/motcua ./cmd/motcua

bin/temporal: ## Build the Temporal CLI with its dev server and Web UI (v1.5.1) into bin/
	@bash -c 'source scripts/lib.sh && ensure_temporal'

dev: ## Run PostgreSQL, Temporal, migrate+seed, sim, api and worker locally until Ctrl-C
	@bash scripts/dev.sh

test: ## go vet + go test against a throwaway PostgreSQL and Temporal (GOTEST_ARGS='-run X ./api/')
	@bash scripts/test.sh

# The business instants `make test-clock` runs the time-sensitive tests at:
# a Monday before office hours (07:30) and at 08:27, a working day one
# minute before lunch (11:29) and five before closing (16:55), Friday 16:59,
# Saturday noon, the last working day before Tết 2027 at 16:00, and New
# Year's Eve 23:59 (already the next year in an hour, another date in UTC).
CLOCK_MATRIX ?= 2026-12-07T07:30:00+07:00 2026-12-07T08:27:00+07:00 2026-12-09T11:29:00+07:00 \
	2026-12-09T16:55:00+07:00 2026-12-11T16:59:00+07:00 2026-12-12T12:00:00+07:00 \
	2027-02-03T16:00:00+07:00 2026-12-31T23:59:00+07:00
# The time-sensitive tests: every package that drives dossiers through the
# real Temporal server on the official calendar (api, console, loadgen), and
# the store's, whose inbox and report queries take instants of business time.
CLOCK_TESTS ?= ./api/ ./console/ ./loadgen/ ./store/

.PHONY: test-clock
test-clock: ## The time-sensitive tests at each business instant of CLOCK_MATRIX (Monday 07:30 … New Year's Eve 23:59)
	@MOTCUA_TEST_CLOCKS="$(CLOCK_MATRIX)" GOTEST_ARGS="$(CLOCK_TESTS)" bash scripts/test.sh

.PHONY: chaos
chaos: ## Chaos run: load (CHAOS_DOSSIERS, default 300) while killing worker, API, Temporal, PostgreSQL; fails if anything is lost or duplicated
	@bash scripts/chaos.sh

.PHONY: test-scripts
test-scripts: ## Tests of the scripts' helpers (PostgreSQL from a clone the postgres user cannot reach, e.g. as root in /root)
	@bash scripts/test-scripts.sh

.PHONY: prod-local test-prod-local
prod-local: ## The production shape until Ctrl-C: temporal-server on PostgreSQL, Temporal UI, 2 APIs + 2 workers behind one address
	@bash scripts/prod-local.sh

test-prod-local: ## Integration suite + end-to-end dossiers against the production shape (GOTEST_ARGS: first step's packages)
	@bash scripts/prod-local.sh --test $(GOTEST_ARGS)

.PHONY: fuzz
FUZZTIME ?= 30s
export FUZZTIME
fuzz: ## Run every fuzz target for FUZZTIME each (default 30s; FUZZ_TARGETS='FuzzX FuzzY' to choose)
	@bash scripts/fuzz.sh

.PHONY: bench bench-read
bench: ## Engine ceiling (no-op workflows) vs our dossiers through the API, same server; ratio (docs/PERFORMANCE.md)
	@bash scripts/bench.sh

bench-read: ## Seed MOTCUA_BENCH_DOSSIERS (default 1000000) dossiers; benchmark reports, inbox, public lookup
	@GOTEST_ARGS='-run ^$$ -bench Report|Inbox|PublicLookup|AwaitingIntake -benchmem -timeout 90m ./store/' bash scripts/test.sh

lint: ## gofmt, go vet and golangci-lint with staticcheck (.golangci.yml; built into bin/ the first time)
	@bash scripts/lint.sh

clean: ## Remove bin/ (keeps .data/)
	rm -rf bin

clean-data: ## Stop the local PostgreSQL cluster and delete .data/ (all local dossiers and workflows)
	@bash scripts/clean-data.sh
