# acebridge — the verbs a newcomer types. Everything installs into the project (.venv/, rustup target).
SHELL := /bin/bash
VENV  := $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
CARGO := cargo

.PHONY: setup demo test browser lint fmt-check clippy unit unit-shifted contract sam-validate build sam-build deploy startup bench bench-reconcile bench-console bench-coalesce bench-inbound bench-ingest-memory bench-latency bench-size fuzz local-up local-down clean

setup: ## Install the local stack's tools (pinned) into .venv (`make build` / `make sam-build` also add the arm64 Rust target).
	@bash infra/local/setup.sh

demo: setup ## Run acebridge locally on the sample ACE files (no AWS account needed).
	@bash infra/local/demo.sh

test: setup fmt-check clippy unit unit-shifted contract browser sam-validate ## Everything CI runs.
	@echo "make test: all checks passed"
	@awk '/^test result:/ {p+=$$4; f+=$$6} END {printf "tests: %d passed, %d failed\n", p, f}' .local/test.log

lint: setup fmt-check clippy sam-validate

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit: ## Unit tests, and the integration tests on the local stack (moto is started for them).
	@mkdir -p .local
	set -o pipefail; bash infra/local/with-stack.sh $(CARGO) test --workspace --lib --bins --tests 2>&1 | tee .local/test.log

unit-shifted: ## The test binaries `unit` built, run again with the clock 7 years ahead, then across a year end (libfaketime; no second build).
	set -o pipefail; bash infra/local/test-shifted.sh "7 years ahead" "+7y" 2>&1 | tee -a .local/test.log
	set -o pipefail; bash infra/local/test-shifted.sh "across a year end" "@2030-12-31 23:59:30" 2>&1 | tee -a .local/test.log

contract: ## The Partner Central emulator against AWS's service model, checked by boto3; the Slack and Teams notices checked by slack_sdk and Microsoft's adaptivecards (run after `unit`, which builds the emulator).
	set -o pipefail; .venv/bin/python tests/contract/partner_central_model.py target/debug/pc-emulator 2>&1 | tee -a .local/test.log
	@bash infra/local/setup-npm.sh tests/contract
	$(CARGO) build --quiet -p acebridge-cli
	set -o pipefail; .venv/bin/python tests/contract/notices.py target/debug/acebridge 2>&1 | tee -a .local/test.log

browser: ## The operations console in headless Chromium (Playwright, axe-core) on the local stack; screenshots to docs/images/console/.
	@bash infra/local/setup-browser.sh
	$(CARGO) build --quiet --workspace --bins
	@mkdir -p .local
	set -o pipefail; bash infra/local/with-stack.sh .venv/bin/python tests/browser/console_flows.py 2>&1 | tee -a .local/test.log

sam-validate:
	sam validate --lint --template template.yaml
	sam validate --template template.yaml --region us-east-1
	cfn-lint template.yaml
	# BC_SKIP_MAPPING: no attempt to fetch Prisma Cloud guideline ids (no network in CI; it only printed a traceback).
	BC_SKIP_MAPPING=TRUE checkov -f template.yaml --framework cloudformation --compact --quiet
	bash infra/local/lint-variants.sh
	.venv/bin/python infra/local/check-docs.py

build: setup ## Lambda bootstraps for arm64 (cargo-lambda + zig from .venv).
	@bash infra/local/setup.sh --arm64
	@if ls functions/*/Cargo.toml >/dev/null 2>&1; then \
	  $(CARGO) lambda build --release --arm64 --workspace --exclude acebridge-cli --exclude acebridge-pc-emulator; \
	else echo "build: no Lambda functions yet (they arrive with the S3 and Partner Central issues)"; fi

sam-build: setup ## sam build (BuildMethod rust-cargolambda, arm64) into .aws-sam/build: what sam deploy uploads.
	@bash infra/local/setup.sh --arm64
	sam build --beta-features

deploy: sam-build ## First deploy: guided (writes samconfig.toml).
	sam deploy --guided

bench: ## Criterion benchmarks; prints records/s and ratios.
	$(CARGO) bench -p acebridge-mapping --bench ace_file

bench-reconcile: setup ## Reconcile of 300 opportunities under quotas + 5 faults, sporadic then in a row (wall time vs the quota bound of the reads it makes), then the steady state (pages only).
	bash infra/local/with-stack.sh $(CARGO) bench -p acebridge-sync --bench reconcile

fuzz: ## Long fuzz run: FUZZ_INPUTS (default 1,000,000) mutated inputs over every untrusted-input entry point; crashes saved to tests/fuzz/regressions/.
	$(CARGO) run --profile fuzz -p acebridge-fuzz -- --inputs $(or $(FUZZ_INPUTS),1000000) --seed $(or $(FUZZ_SEED),1)

bench-inbound: setup ## crm-inbound at scale: 1,000 HubSpot events against a HubSpot answering in 150 ms, batch reads vs one read per record.
	bash infra/local/with-stack.sh $(CARGO) bench -p acebridge-crm --bench inbound_scale

bench-ingest-memory: setup ## Peak memory (VmHWM) of the ingest on a 1 MB file, and on a 60 MiB file refused by its size.
	bash infra/local/with-stack.sh $(CARGO) bench -p acebridge-sync --bench ingest_memory

bench-latency: setup ## p50/p99 of AWS event → CRM write and CRM change → Partner Central write on the local stack.
	bash infra/local/with-stack.sh $(CARGO) bench -p acebridge-sync --bench latency

bench-coalesce: setup ## 100 records x 10 edits in bursts through crm-outbound's batches (SQS delivery modelled), with the settle hold (SETTLE_SECONDS=N to try another) and without: UpdateOpportunity calls, none lost.
	bash infra/local/with-stack.sh $(CARGO) bench -p acebridge-sync --bench coalesce

bench-console: setup ## Every console page with 10,000 records in the ledger and the CRM store (median, p95, max; the bar is 200 ms).
	@bash infra/local/setup-browser.sh
	$(CARGO) build --quiet --workspace --bins
	bash infra/local/with-stack.sh .venv/bin/python benches/console_pages.py

bench-size: setup ## Each arm64 bootstrap's size, and cargo bloat --crates of the largest (what makes it big).
	bash benches/bootstrap_size.sh

startup: setup ## Each function's time from process start to ready, cold vs warm invoke, under cargo lambda watch --release.
	bash benches/startup.sh

local-up: setup ## Start moto on 127.0.0.1 (S3, DynamoDB, EventBridge, SQS, Secrets Manager).
	@bash infra/local/local-up.sh

local-down: ## Stop moto.
	@bash infra/local/local-down.sh

clean:
	$(CARGO) clean
