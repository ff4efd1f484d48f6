# swarmwiz: `make test` runs every test; as root it first installs what the practice lab
# needs and removes labs an earlier run left behind.
SHELL    := /bin/bash
GO       ?= go
BIN      := bin/swarmwiz
# The release: a tag on the commit, else the commit (`make dist VERSION=1.2.0` to name one;
# a source tree without git may carry a VERSION file).
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || cat VERSION 2>/dev/null || echo dev)
COMMIT   := $(shell git rev-parse --short HEAD 2>/dev/null)
# The commit's date, not the build's: two builds of one commit are the same bytes.
DATE     := $(shell git log -1 --format=%cI 2>/dev/null)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(DATE)
# Every learner's laptop: `make test` builds and vets them all, `make dist` packs them.
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
# Labs the end-to-end tests create; removed before and after every run.
E2E_LABS := e2e e2edown e2epool e2ecls1 e2ecls2 e2ecls3 e2emach e2emix e2eko e2ehalf

.PHONY: build test unit cross dist docs e2e prereqs clean-labs bench screenshot fuzz

build:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/swarmwiz

# Unit, golden and terminal tests run anywhere; the end-to-end tests need root for the lab.
test: build unit cross fuzz e2e

unit:
	$(GO) vet ./...
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v /internal/e2e)

# Every platform compiles and vets (the unit tests too, with -c), so a Linux-only call in code
# that every command uses can never land again.
cross:
	@set -e; for p in $(PLATFORMS); do \
	  CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -o /dev/null ./cmd/swarmwiz; done
	@set -e; for os in darwin windows; do \
	  GOOS=$$os CGO_ENABLED=0 $(GO) vet ./...; \
	  d=$$(mktemp -d); GOOS=$$os CGO_ENABLED=0 $(GO) test -c -o $$d/ ./...; rm -rf $$d; done
	@echo "cross: $(PLATFORMS) build; darwin and windows vet and compile their tests"

# Static, reproducible binaries and archives for every platform, with SHA256SUMS, in dist/.
dist:
	$(GO) run ./internal/dist -out dist -version $(VERSION) -commit $(COMMIT) -date $(DATE)

# The command reference and man pages, made from the commands (unit tests fail when stale).
docs:
	UPDATE_DOCS=1 $(GO) test -count=1 -run '^(TestReferenceDocsAreCurrent|TestTroubleshootingTableFromTheCatalog)$$' ./cmd/swarmwiz

# Each fuzzer runs briefly on every `make test` (a count of inputs, not a time: a time limit can end
# in a spurious "context deadline exceeded" on a busy machine); `make fuzz FUZZTIME=5m` digs deeper.
FUZZTIME ?= 20000x
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./internal/plan
	$(GO) test -run '^$$' -fuzz '^FuzzNodeRows$$' -fuzztime $(FUZZTIME) ./internal/docker
	$(GO) test -run '^$$' -fuzz '^FuzzParseSwarm$$' -fuzztime $(FUZZTIME) ./internal/docker
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./internal/classroom

# The classroom's end-to-end test drives a real browser: Debian's chromium, headless.
prereqs: build
	@if [ "$$(id -u)" = 0 ]; then $(BIN) lab check --install --host-daemons stop; \
	  command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; fi

clean-labs: build
	@if [ "$$(id -u)" = 0 ]; then for l in $(E2E_LABS); do $(BIN) lab down --name $$l; done; fi

e2e: prereqs clean-labs
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	  echo "!!! END-TO-END TESTS SKIPPED: they need root to build the practice lab."; \
	  echo "!!! Run 'sudo make test' to run them. Only unit and terminal tests ran."; \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	  if [ "$$CI" = true ]; then echo "CI=true: a skipped end-to-end test is a failure"; exit 1; fi; \
	else \
	  SWARMWIZ_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 55m -v ./internal/e2e/ 2>&1 | tee .e2e.log; \
	  rc=$${PIPESTATUS[0]}; $(MAKE) --no-print-directory clean-labs; \
	  grep -E '^(--- |ok|FAIL|PASS)' .e2e.log | tail -40; exit $$rc; \
	fi

# The benchmark: swarmwiz against the by-hand baseline, alternated in one lab (root).
bench: build
	$(GO) run ./internal/bench -bin $(BIN)

# docs/classroom-20.jpg: a 20-learner classroom page as headless chromium draws it.
screenshot: build
	$(GO) run ./internal/bench/roomshot -bin $(BIN)

clean:
	rm -rf bin dist .e2e.log
