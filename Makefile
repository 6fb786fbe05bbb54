# oauthconform: `make test` is what CI runs (with `make lint`); `make run`
# runs the conformance suites against the embedded mock of every profile.

GO          ?= go
BIN         := bin/oauthconform
PKG         := ./cmd/oauthconform
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

# The version stamped into the binary (`oauthconform version`).
VERSION ?= $(shell git describe --always --dirty 2>/dev/null)
LDFLAGS := -s -w $(if $(VERSION),-X main.version=$(VERSION))

# What `make run` runs: the suites against the embedded mocks. Override, e.g.
# make run RUN_ARGS='serve --profile oob-pkce' or RUN_ARGS='test -v --profile rfc6749'.
RUN_ARGS ?= test

.DEFAULT_GOAL := test

.PHONY: all build run test xsd-deps lint bench cover clean catalogue

all: lint test build

# A static binary: it runs on any Linux without a C library to match, and
# starts faster (no dynamic loader).
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) $(PKG)

run:
	$(GO) run $(PKG) $(RUN_ARGS)

# The interop module (a real third-party server, ory/fosite, as a target)
# has its own go.mod, so the tool's dependencies stay lean. interop/xsd holds
# the npm package (libxml2 as WebAssembly, from the committed lock file) that
# validates the JUnit reports against suites/report/testdata/junit.xsd;
# with it installed, that check cannot skip.
XSD_DIR := interop/xsd

# The conformance matrices run last, in the package's own directory so that
# their progress lines stream instead of appearing at the end.
MATRICES := ^(TestQuirkMatrix|TestFreedomMatrix)$$

test: xsd-deps
	@echo "== make test: every package, race detector on (the matrices follow)"
	OAUTHCONFORM_REQUIRE_XSD=$(if $(shell command -v npm),1,) $(GO) test -race -count=1 -skip '$(MATRICES)' ./...
	@echo "== make test: the quirk and freedom matrices"
	cd suites && $(GO) test -race -count=1 -run '$(MATRICES)'
	@echo "== make test: interop (ory/fosite as a target)"
	cd interop && $(GO) test -race -count=1 ./...

xsd-deps: $(XSD_DIR)/node_modules/.package-lock.json

$(XSD_DIR)/node_modules/.package-lock.json: $(XSD_DIR)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(XSD_DIR) && npm ci --no-audit --no-fund --loglevel=error; \
	else \
		echo "npm not found: the JUnit XSD check will skip"; \
	fi

lint:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt: these files need formatting:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# docs/CATALOGUE.md is generated from the specs; `make test` fails when stale.
catalogue:
	$(GO) run $(PKG) list --markdown > docs/CATALOGUE.md

# The mock's benchmarks; the goals of issue 9 item 10 are ratios measured in
# the same run: BenchmarkRatioOpaque (opaque/bare >= 0.6), BenchmarkRatioJWT
# (issue/sign >= 0.8 for the asymmetric algorithms), BenchmarkServerStartFirstToken;
# BenchmarkServeSetup (cmd) is serve's own start-up work.
# BENCH narrows them, e.g. make bench BENCH=Ratio.
BENCH ?= .
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem ./mockserver/... ./cmd/...

# Every fuzz target of the repository (interop's module too), one after
# another, FUZZTIME each; found by name, so a new Fuzz function is picked up
# without editing this file. go test fuzzes one target of one package a run.
FUZZTIME ?= 10s
fuzz:
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '/testdata/'); do \
		dir=./$$(dirname $${f#./}); \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "== $$t ($$dir, $(FUZZTIME))"; \
			(cd $$dir && $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) .); \
		done; \
	done

# The load recipe (README, Limits): bare net/http, merchant-customer and
# rfc6749 over loopback HTTP, each in a process of its own, interleaved;
# req/s, server CPU per request and RSS per round. LOAD_ARGS e.g. '-d 10s -rounds 5'.
LOAD_ARGS ?=
load: build
	$(GO) run ./mockserver/internal/loadtest -bin $(BIN) $(LOAD_ARGS)
	$(GO) run ./mockserver/internal/loadtest -bin $(BIN) -startup 20

cover:
	$(GO) test -count=1 -covermode=atomic -coverprofile=coverage.out ./...
	$(GO) tool cover -func=coverage.out | tail -n 1
	@echo "HTML report: go tool cover -html=coverage.out"

clean:
	rm -rf bin coverage.out
