# Everything runs on the Node 24 that package.json pins (node_modules/.bin/node), not
# on the machine's Node.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

# npm writes its hidden lockfile last, so it marks a finished install (also a manual `npm ci`).
NODE_DEPS := node_modules/.package-lock.json

.PHONY: all deps servers versions typecheck lint test test-unit test-integration test-e2e \
        bench chaos local build image docs clean

all: test

# npm's output (and its EBADENGINE warnings while the machine's older Node runs npm
# itself) goes to .logs/npm.log; one progress line is printed instead.
$(NODE_DEPS): package.json package-lock.json
	@LOGGED_STEP_SAYS='installing the pinned Node 24 and the npm dependencies (npm ci)' \
	  bash test/infra/run-logged-step.sh npm npm ci --no-audit --no-fund
	@touch $@

deps: $(NODE_DEPS)

# Builds or installs the real test servers (kube-apiserver, kube-controller-manager,
# etcd, kubectl, helm, Cassandra, HAProxy, Apache httpd) into ~/.cache/ors-test; idempotent.
servers: deps
	@echo "servers: building or installing the test servers into ~/.cache/ors-test (one line each)"
	@bash test/infra/install-all.sh

versions: servers
	bash test/infra/versions.sh

typecheck: deps
	@echo "typecheck: tsc -p tsconfig.json"
	@tsc -p tsconfig.json

lint: deps
	@echo "lint: eslint --max-warnings 0 ."
	@eslint --max-warnings 0 .

# Unit tests only: pure logic, no servers.
test-unit: deps
	vitest run --project unit

test-integration: servers
	vitest run --project integration

test-e2e: servers
	vitest run --project e2e

# Everything CI runs.
test: servers typecheck lint
	@echo "test: vitest run (unit, integration, e2e; a control plane starts first)"
	@vitest run

bench: deps
	node bench/run.ts

# The chaos suite alone, longer than its short form in `make test` and under a contact
# center's load (the issue's target: 50 sessions/s, 500 requests/s, 20 calls/s), after
# CHAOS_BASELINE_SECONDS of the same load without faults; prints both phases' figures.
CHAOS_SECONDS ?= 600
CHAOS_BASELINE_SECONDS ?= 120
CHAOS_SESSIONS ?= 48
CHAOS_REQUESTS_PER_SESSION ?= 10
CHAOS_THINK_MS ?= 0
CHAOS_CALLS_PER_SECOND ?= 20
chaos: servers
	ORS_CHAOS_SECONDS=$(CHAOS_SECONDS) ORS_CHAOS_BASELINE_SECONDS=$(CHAOS_BASELINE_SECONDS) \
	  ORS_CHAOS_SESSIONS=$(CHAOS_SESSIONS) ORS_CHAOS_REQUESTS_PER_SESSION=$(CHAOS_REQUESTS_PER_SESSION) \
	  ORS_CHAOS_THINK_MS=$(CHAOS_THINK_MS) ORS_CHAOS_CALLS_PER_SECOND=$(CHAOS_CALLS_PER_SECOND) \
	  vitest run --project e2e test/e2e/ors-cluster-chaos.test.ts

# The local cluster: the README's main job.
local: deps
	@echo "local: node runtime/cli/ors.ts local (Node $$(node --version)); Ctrl-C stops it"
	@node runtime/cli/ors.ts local

# The compiled output the container images ship: JavaScript plus the non-TypeScript
# files the code reads at run time (kept in step with the Dockerfile's build stage).
build: deps
	tsc -p tsconfig.build.json
	find runtime operator -type f ! -name '*.ts' -exec cp --parents {} dist/ \;

# Container images, where a container engine exists (none on the development machines).
image:
	@command -v docker >/dev/null && docker info >/dev/null 2>&1 || { echo "make image: no container engine here (docker info failed)"; exit 1; }
	docker build --target runtime -t ors-runtime:$$(node -p "require('./package.json').version") .
	docker build --target operator -t ors-operator:$$(node -p "require('./package.json').version") .

# Files generated from code: the reference pages from the zod schemas
# (runtime/config/REFERENCE.md, operator/api/REFERENCE.md), the chart's copy of the CRD,
# examples/haproxy/haproxy.cfg; a unit test fails when they drift.
docs: deps
	node runtime/cli/ors.ts docs

clean:
	rm -rf dist coverage
