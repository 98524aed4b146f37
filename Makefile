# scidb build, test and benchmark targets. The README names `make demo`
# (the main job) and `make test` (every test).

CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_TARGET_DIR
PYTHON ?= python3
OCTAVE ?= octave-cli
LIB_DIR := $(CARGO_TARGET_DIR)/release
LIB := $(LIB_DIR)/libscidb.so
C_FLAGS := -Wall -Wextra -Werror -g -fsanitize=address,undefined -fno-omit-frame-pointer -Iinclude
C_LINK := -L$(LIB_DIR) -lscidb -Wl,-rpath,$(LIB_DIR) -lm
TEST_BIN := $(CARGO_TARGET_DIR)/scidb-c-tests

.PHONY: all build test test-suites test-rust test-c test-python test-octave python-deps octave-deps pg-deps browser-deps mex demo bench fuzz header lint clean

all: build

build:
	cargo build --release

## Every test: Rust (unit, integration, header freshness), C and C++ under
## AddressSanitizer, pytest, and the Octave suite (with cross-language tests),
## all beside one throw-away PostgreSQL server (tests/pg/with_server.sh, which
## installs PostgreSQL when missing and sets SCIDB_TEST_PG_URL and
## SCIDB_REQUIRE_PG=1, so the PostgreSQL tests cannot skip).
test:
	tests/pg/with_server.sh $(MAKE) test-suites

## The suites themselves; each also runs alone (`make test-rust`), where the
## PostgreSQL tests skip unless SCIDB_TEST_PG_URL is set.
test-suites: test-rust test-c test-python test-octave

## The Rust suites; with a test server, the store, lineage, for_each and
## chunk suites again on PostgreSQL catalogs (tests/common).
PG_RUST_SUITES := --test store --test lineage --test foreach --test chunked
test-rust: python-deps
	cargo test --release
	@if [ -n "$$SCIDB_TEST_PG_URL" ]; then \
		echo "SCIDB_TEST_CATALOG=postgres cargo test --release $(PG_RUST_SUITES)"; \
		SCIDB_TEST_CATALOG=postgres cargo test --release $(PG_RUST_SUITES); \
	fi

test-c: build
	@mkdir -p $(TEST_BIN)
	gcc -std=c11 $(C_FLAGS) tests/c/abi_test.c -o $(TEST_BIN)/abi_test_c $(C_LINK)
	gcc -std=c11 $(C_FLAGS) tests/c/host_abi_test.c -o $(TEST_BIN)/host_abi_test_c $(C_LINK)
	gcc -std=c11 $(C_FLAGS) tests/c/lineage_test.c -o $(TEST_BIN)/lineage_test_c $(C_LINK)
	gcc -std=c11 $(C_FLAGS) -pthread tests/c/foreach_test.c -o $(TEST_BIN)/foreach_test_c $(C_LINK)
	g++ -std=c++17 $(C_FLAGS) tests/c/abi_test.cpp -o $(TEST_BIN)/abi_test_cpp $(C_LINK)
	gcc -std=c11 $(C_FLAGS) tests/c/stream_child.c -o $(TEST_BIN)/stream_child $(C_LINK)
	gcc -std=c11 $(C_FLAGS) tests/c/chunks_test.c -o $(TEST_BIN)/chunks_test_c $(C_LINK)
	gcc -std=c11 $(C_FLAGS) -pthread tests/c/hardening_test.c -o $(TEST_BIN)/hardening_test_c $(C_LINK)
	$(PYTHON) tests/c/abi_sweep.py include/scidb.h > $(TEST_BIN)/abi_sweep.c
	gcc -std=c11 $(C_FLAGS) $(TEST_BIN)/abi_sweep.c -o $(TEST_BIN)/abi_sweep $(C_LINK)
	ASAN_OPTIONS=detect_leaks=1 $(TEST_BIN)/abi_test_c
	ASAN_OPTIONS=detect_leaks=1 $(TEST_BIN)/host_abi_test_c
	ASAN_OPTIONS=detect_leaks=1 $(TEST_BIN)/lineage_test_c
	ASAN_OPTIONS=detect_leaks=1 $(TEST_BIN)/foreach_test_c
	ASAN_OPTIONS=detect_leaks=1 $(TEST_BIN)/abi_test_cpp
	ASAN_OPTIONS=detect_leaks=1 $(TEST_BIN)/chunks_test_c
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 $(TEST_BIN)/hardening_test_c
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 $(TEST_BIN)/abi_sweep
	@if [ -n "$$SCIDB_TEST_PG_URL" ]; then \
		echo "lineage and for_each C tests on PostgreSQL catalogs"; \
		SCIDB_TEST_CATALOG=postgres ASAN_OPTIONS=detect_leaks=1 $(TEST_BIN)/lineage_test_c && \
		SCIDB_TEST_CATALOG=postgres ASAN_OPTIONS=detect_leaks=1 $(TEST_BIN)/foreach_test_c; \
	fi

python-deps: build
	$(PYTHON) -m pip install --quiet --disable-pip-version-check "./python[test]"

## pytest: the package's tests and the stream protocol tests, which drive
## Python and C children with tests/stream_harness.py (the C child is built
## by the tests under AddressSanitizer; scidb-strm gets its own venv).
test-python: python-deps
	cd python && $(PYTHON) -m pytest -q tests ../tests/stream

## Octave and its MEX headers, installed when missing (needs root on Debian).
octave-deps:
	@if ! command -v $(OCTAVE) >/dev/null || ! command -v mkoctfile >/dev/null; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q octave octave-dev; \
	fi

## Chromium (the headless browser that renders the pipeline picture's HTML
## page in a test), installed when missing (needs root on Debian).
browser-deps:
	@if ! command -v chromium >/dev/null; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	fi

## PostgreSQL (for the test server), installed when missing (needs root on Debian).
pg-deps:
	tests/pg/with_server.sh --install

## The MEX gateway, built against the release library.
mex: build octave-deps
	$(OCTAVE) --no-gui --norc --quiet --eval "addpath('matlab'); scidb.build_mex('$(LIB_DIR)');"

## The Octave suite; its cross-language tests run Python with $(PYTHON).
## Then the stream plugin's scenarios through an Octave child, under the harness.
## With a test server, the Octave suite runs again on PostgreSQL catalogs
## (fresh_database.m).
test-octave: mex python-deps
	cd matlab/tests && SCIDB_PYTHON=$(PYTHON) $(OCTAVE) --no-gui --norc --quiet --eval "exit(double(~run_tests()))"
	@if [ -n "$$SCIDB_TEST_PG_URL" ]; then \
		echo "the Octave suite on PostgreSQL catalogs"; \
		cd matlab/tests && SCIDB_TEST_CATALOG=postgres SCIDB_PYTHON=$(PYTHON) $(OCTAVE) --no-gui --norc --quiet --eval "exit(double(~run_tests()))"; \
	fi
	cd python && $(PYTHON) -m pytest -q ../matlab/tests/stream ../matlab/tests/jobs

## The main job: on embedded DuckDB files, the Python demo (save, load,
## versions, the SQL view), then the seed's full pipeline from Python
## (three for_each steps, a changed setting, a groupby, provenance) and
## from Octave.
demo: python-deps mex
	$(PYTHON) examples/demo.py
	$(PYTHON) examples/pipeline.py
	$(OCTAVE) --no-gui --norc --quiet examples/matlab/pipeline.m

## A long fuzz run (not part of the tests; `make test` runs the same
## targets with a few thousand inputs each): FUZZ_INPUTS inputs per target,
## FUZZ_SEED for other ones. A failing input is saved for tests/fuzz_corpus/.
## FUZZ_SECONDS=1800 runs every target for half an hour instead.
FUZZ_INPUTS ?= 1000000
FUZZ_SEED ?= 13
FUZZ_SECONDS ?=
fuzz:
	SCIDB_FUZZ_INPUTS=$(FUZZ_INPUTS) SCIDB_FUZZ_SEED=$(FUZZ_SEED) SCIDB_FUZZ_SECONDS=$(FUZZ_SECONDS) \
		cargo test --release --test fuzz -- --nocapture

## Benchmarks (not part of the tests): tables, side by side. The cluster
## part (a PostgreSQL catalog beside a DuckDB file, for_each shared by 1, 4
## and 8 processes) runs beside a throw-away PostgreSQL server.
bench: python-deps mex
	$(PYTHON) bench/run.py
	$(PYTHON) bench/payload.py
	$(PYTHON) bench/lineage.py
	$(PYTHON) bench/foreach.py
	$(PYTHON) bench/mex.py
	$(PYTHON) bench/stream.py
	$(PYTHON) bench/inspect_commands.py
	tests/pg/with_server.sh $(PYTHON) bench/cluster.py

## Regenerates include/scidb.h from src/ffi.
header:
	SCIDB_WRITE_HEADER=1 cargo build --release

lint:
	cargo fmt --check
	cargo clippy --release --all-targets -- -D warnings

clean:
	cargo clean
