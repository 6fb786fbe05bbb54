# oauthconform: `make test` is what CI runs (with `make lint`); `make run`
# starts the mock provider.

GO          ?= go
BIN         := bin/oauthconform
PKG         := ./cmd/oauthconform
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

# The version stamped into the binary (`oauthconform version`).
VERSION ?= $(shell git describe --always --dirty 2>/dev/null)
LDFLAGS := -s -w $(if $(VERSION),-X main.version=$(VERSION))

# What `make run` runs: the mock provider for now. When the suites land this
# one line becomes the suites run. Override: make run RUN_ARGS='serve --profile oob-pkce'.
RUN_ARGS ?= serve

.DEFAULT_GOAL := test

.PHONY: all build run test lint bench cover clean

all: lint test build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) $(PKG)

run:
	$(GO) run $(PKG) $(RUN_ARGS)

test:
	$(GO) test -race -count=1 ./...

lint:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt: these files need formatting:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./mockserver/...

cover:
	$(GO) test -count=1 -covermode=atomic -coverprofile=coverage.out ./...
	$(GO) tool cover -func=coverage.out | tail -n 1
	@echo "HTML report: go tool cover -html=coverage.out"

clean:
	rm -rf bin coverage.out
