# ydpgen: build, test and demo targets. `make demo` and `make test` are the
# two set-up commands in the README; everything they need is installed by
# the scripts under hack/.
GO ?= go
EXAMPLE ?= pi-lab
DEMO_OUT ?= demo
# Cold builds of kube-apiserver/etcd run inside the test binary when the
# cache is empty; the timeout leaves room for them.
TEST_TIMEOUT ?= 45m

.PHONY: all build test upstream unit e2e e2e-flux demo bench lint fmt tools chart clean

all: build

build:
	$(GO) build -o bin/ydpgen ./cmd/ydpgen

## test: everything .ci/run runs: lint, the upstream cross-check, unit,
## golden, CLI and e2e suites. The e2e packages (the API-server suite and
## the Flux GitOps loop in e2e/flux) run verbosely, so the log shows what
## they applied and timed.
test: tools lint upstream
	$(GO) test -timeout $(TEST_TIMEOUT) $$($(GO) list ./... | grep -v -e '/e2e$$' -e '/e2e/flux$$')
	$(GO) test -timeout $(TEST_TIMEOUT) -v ./e2e/
	$(GO) test -timeout $(TEST_TIMEOUT) -v ./e2e/flux/

## upstream: the nested module sealing/upstreamtest, which seals with
## package sealing and unseals with the Sealed Secrets controller's code.
## It is a module of its own because requiring that code takes a replace
## directive, which ydpgen's go.mod must not carry (it would break
## go install ...@version); ./... at the root does not reach it.
upstream:
	cd sealing/upstreamtest && $(GO) vet ./... && $(GO) mod tidy -diff && $(GO) test ./...

## unit: the fast suites only: -short skips every test that starts a
## kube-apiserver or Flux controllers (kubetest.Start skips under -short) and
## the e2e packages; the PostgreSQL bootstrap test still runs.
unit:
	$(GO) test -short ./...

## e2e: only the suites that start a real kube-apiserver. -v shows the object
## counts per example, environment and engine; -p 1 streams that output as it
## comes and runs one API server at a time.
e2e: tools
	$(GO) test -timeout $(TEST_TIMEOUT) -count=1 -p 1 -v -run 'TestKube|TestE2E' ./internal/kubetest/ ./e2e/...

## e2e-flux: only the GitOps loop: Flux's source-controller and
## kustomize-controller sync a committed tree into a real kube-apiserver.
e2e-flux: tools
	$(GO) test -timeout $(TEST_TIMEOUT) -count=1 -v -run 'TestE2EFlux' ./e2e/flux/

## tools: install missing Debian packages (PostgreSQL), build (or reuse from
## ~/.cache/ydpgen) the servers and Flux controllers the tests start, and put
## the Airflow chart the examples lock into ~/.cache/ydpgen/charts.
tools: chart
	hack/deps.sh
	hack/kube/build.sh
	hack/flux/build.sh

## chart: seed ydpgen's chart cache with the Airflow chart 1.19.0 (from
## ../shared/charts, or downloaded), so renders of the examples work offline.
chart:
	@hack/chart.sh --seed >/dev/null

## demo: render an example into ./demo and build one overlay with kubectl.
demo: chart
	$(GO) run ./cmd/ydpgen render examples/$(EXAMPLE)/platform.yaml -o $(DEMO_OUT)
	@echo "try: kubectl kustomize $(DEMO_OUT)/overlays/<env>"

## bench: Go benchmarks, then the whole-process report against kubectl kustomize,
## then the hydrated render of examples/cloud against helm template + kubectl
## kustomize (helm built by hack/helm/build.sh).
bench: chart
	$(GO) test -run '^$$' -bench . -benchmem ./spec/ ./render/
	hack/bench.sh
	hack/bench-chart.sh

## lint: gofmt, go vet, staticcheck (pinned; hack/staticcheck/run.sh builds it
## into ~/.cache/ydpgen on first use) and go mod tidy.
lint:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	hack/staticcheck/run.sh ./...
	$(GO) mod tidy -diff

fmt:
	gofmt -w .

clean:
	rm -rf bin $(DEMO_OUT)
