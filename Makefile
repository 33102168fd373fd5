# ydpgen: build, test and demo targets. `make demo` and `make test` are the
# two set-up commands in the README; everything they need is installed by
# the scripts under hack/.
GO ?= go
EXAMPLE ?= pi-lab
DEMO_OUT ?= demo
# Cold builds of kube-apiserver/etcd run inside the test binary when the
# cache is empty; the timeout leaves room for them.
TEST_TIMEOUT ?= 45m

.PHONY: all build test unit e2e demo bench lint fmt tools clean

all: build

build:
	$(GO) build -o bin/ydpgen ./cmd/ydpgen

## test: everything .ci/run runs: lint, unit, golden, CLI and e2e suites.
## The e2e package runs verbosely, so the log shows what it applied.
test: tools lint
	$(GO) test -timeout $(TEST_TIMEOUT) $$($(GO) list ./... | grep -v '/e2e$$')
	$(GO) test -timeout $(TEST_TIMEOUT) -v ./e2e/

## unit: the fast suites only (no API server).
unit:
	$(GO) test -short ./...

## e2e: only the suites that start a real kube-apiserver. -v shows the object
## counts per example, environment and engine; -p 1 streams that output as it
## comes and runs one API server at a time.
e2e: tools
	$(GO) test -timeout $(TEST_TIMEOUT) -count=1 -p 1 -v -run 'TestKube|TestE2E' ./internal/kubetest/ ./e2e/...

## tools: install missing Debian packages (PostgreSQL) and build (or reuse from
## ~/.cache/ydpgen) the servers the tests start.
tools:
	hack/deps.sh
	hack/kube/build.sh

## demo: render an example into ./demo and build one overlay with kubectl.
demo:
	$(GO) run ./cmd/ydpgen render examples/$(EXAMPLE)/platform.yaml -o $(DEMO_OUT)
	@echo "try: kubectl kustomize $(DEMO_OUT)/overlays/<env>"

## bench: Go benchmarks, then the whole-process report against kubectl kustomize.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./schema/ ./render/
	hack/bench.sh

lint:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff

fmt:
	gofmt -w .

clean:
	rm -rf bin $(DEMO_OUT)
