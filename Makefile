# Gatehouse's everyday commands; `make help` lists them. CI (.ci/run) makes
# the same checks as `make lint`, `make test-alloc` and `make race`, after
# installing the tools they need.

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/gatehouse-dev/gatehouse/internal/cli.Version=$(VERSION)
BIN      ?= bin/gatehouse
FUZZTIME ?= 30s
STATICCHECK ?= $(shell command -v staticcheck 2>/dev/null || echo .ci/.tools/staticcheck)

.DEFAULT_GOAL := help
.PHONY: help build run test race test-alloc lint fuzz bench-smoke bench-cluster-smoke bench clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/gatehouse with its version stamped in (VERSION=…)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/gatehouse

run: ## run a node on ./gatehouse-data with the demo API
	$(GO) run ./cmd/gatehouse serve --demo

test: ## run the tests (no race detector: quicker)
	$(GO) test ./...

race: ## run the tests with the race detector (the README's test command)
	$(GO) test -race ./...

test-alloc: ## run the allocation-budget tests without the race detector (they skip under -race)
	$(GO) test -count=1 -run 'Alloc' ./...

lint: ## gofmt, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

fuzz: ## run every fuzz target for FUZZTIME each (default 30s)
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

bench-smoke: ## a short load benchmark run (2 rounds of 2 s): checks the bench runs end to end (its figures are INVALID, exit 1 accepted), not a figure
	@dir=$$(mktemp -d) && $(GO) build -o $$dir/bench ./bench && { $$dir/bench --duration 2s --rounds 2 --warmup 1s; rc=$$?; rm -rf $$dir; [ $$rc -le 1 ]; }

bench-cluster-smoke: ## a short cluster benchmark run (needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379): checks it works, not a figure
	$(GO) run ./bench --cluster --duration 2s --warmup 1s --keys 3

bench: ## the standard load benchmark (about 5 minutes; see bench/README.md)
	$(GO) run ./bench

clean: ## remove build output
	rm -rf bin
