# Everything runs on the Node 24 that package.json pins (node_modules/.bin/node), not
# on the machine's Node.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

NODE_DEPS := node_modules/.installed

.PHONY: all deps servers versions typecheck lint test test-unit test-integration test-e2e \
        bench chaos local build clean

all: test

$(NODE_DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: $(NODE_DEPS)

# Builds or installs the real test servers (kube-apiserver, kube-controller-manager,
# etcd, kubectl, helm, Cassandra, HAProxy) into ~/.cache/ors-test; idempotent.
servers: deps
	bash test/infra/install-all.sh

versions: servers
	bash test/infra/versions.sh

typecheck: deps
	tsc -p tsconfig.json

lint: deps
	eslint --max-warnings 0 .

# Unit tests only: pure logic, no servers.
test-unit: deps
	vitest run --project unit

test-integration: servers
	vitest run --project integration

test-e2e: servers
	vitest run --project e2e

# Everything CI runs.
test: servers typecheck lint
	vitest run

bench: deps
	node bench/run.ts

# The chaos suite alone, longer than its short form in `make test`
# (CHAOS_SECONDS=600 by default); prints the closing figures.
CHAOS_SECONDS ?= 600
chaos: servers
	ORS_CHAOS_SECONDS=$(CHAOS_SECONDS) vitest run --project e2e test/e2e/ors-cluster-chaos.test.ts

# The local cluster: the README's main job.
local: deps
	node runtime/cli/ors.ts local

build: deps
	tsc -p tsconfig.build.json

clean:
	rm -rf dist coverage
