# scidb build, test and benchmark targets. The README names `make demo`
# (the main job) and `make test` (every test).

CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_TARGET_DIR
PYTHON ?= python3
LIB_DIR := $(CARGO_TARGET_DIR)/release
LIB := $(LIB_DIR)/libscidb.so
C_FLAGS := -Wall -Wextra -Werror -g -fsanitize=address,undefined -fno-omit-frame-pointer -Iinclude
C_LINK := -L$(LIB_DIR) -lscidb -Wl,-rpath,$(LIB_DIR) -lm
TEST_BIN := $(CARGO_TARGET_DIR)/scidb-c-tests

.PHONY: all build test test-rust test-c test-python python-deps demo bench header lint clean

all: build

build:
	cargo build --release

## Every test: Rust (unit, integration, header freshness), C and C++ under
## AddressSanitizer, and pytest.
test: test-rust test-c test-python

test-rust:
	cargo test --release

test-c: build
	@mkdir -p $(TEST_BIN)
	gcc -std=c11 $(C_FLAGS) tests/c/abi_test.c -o $(TEST_BIN)/abi_test_c $(C_LINK)
	g++ -std=c++17 $(C_FLAGS) tests/c/abi_test.cpp -o $(TEST_BIN)/abi_test_cpp $(C_LINK)
	ASAN_OPTIONS=detect_leaks=1 $(TEST_BIN)/abi_test_c
	ASAN_OPTIONS=detect_leaks=1 $(TEST_BIN)/abi_test_cpp

python-deps: build
	$(PYTHON) -m pip install --quiet --disable-pip-version-check "./python[test]"

test-python: python-deps
	cd python && $(PYTHON) -m pytest -q tests

## The main job: saves and loads from Python on an embedded DuckDB file
## and prints the SQL view.
demo: python-deps
	$(PYTHON) examples/demo.py

## Benchmarks (not part of the tests): one table, side by side.
bench: python-deps
	$(PYTHON) bench/run.py

## Regenerates include/scidb.h from src/ffi.
header:
	SCIDB_WRITE_HEADER=1 cargo build --release

lint:
	cargo fmt --check
	cargo clippy --release --all-targets -- -D warnings

clean:
	cargo clean
