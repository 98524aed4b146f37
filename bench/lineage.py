"""`make bench` (lineage part): the cost of a cache hit from Python and the
content-hashing throughput, side by side in one run.

Targets (issue 4): a hit on a small input <= 1 ms; hashing >= 1 GB/s.

    python bench/lineage.py
"""

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import scidb
from scidb import BaseVariable, configure_database, thunk


class BenchSmall(BaseVariable):
    pass


class BenchBig(BaseVariable):
    pass


class BenchOut(BaseVariable):
    pass


@thunk
def scaled(signal, factor):
    return float(np.sum(signal)) * factor


def median_ms(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def hit_ms(arg, repeats, meta):
    BenchOut.save(scaled(arg, factor=2), **meta)  # the first call runs and is saved

    def call():
        r = scaled(arg, factor=2)
        assert r.cached

    return median_ms(call, repeats)


def gbps(nbytes, fn, repeats=5):
    return nbytes / (median_ms(fn, repeats) / 1e3) / 1e9


def main():
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as work:
        configure_database(Path(work) / "bench.duckdb", ["subject"])
        BenchSmall.save(np.array([1.5]), subject=1)
        big = rng.standard_normal(2**20)  # 8 MiB of float64
        BenchBig.save(big, subject=1)
        small_var = BenchSmall.load(subject=1)
        big_var = BenchBig.load(subject=1)
        rows = [
            ("cache hit, loaded 1-element input (ms)", hit_ms(small_var, 2000, {"subject": 1}), "<= 1 ms"),
            ("cache hit, loaded 8 MB input (ms)", hit_ms(big_var, 500, {"subject": 2}), ""),
            ("cache hit, plain 1-element array (ms)", hit_ms(np.array([1.5]), 2000, {"subject": 3}), ""),
            ("cache hit, plain 8 MB array, hashed (ms)", hit_ms(big, 100, {"subject": 4}), ""),
        ]
        scidb.get_database().close()
    huge = rng.standard_normal(2**24)  # 128 MiB of float64
    rows += [
        ("hash 128 MiB array in place (GB/s)", gbps(huge.nbytes, lambda: scidb.content_hash(huge)), ">= 1 GB/s"),
        ("hash 128 MiB Fortran-order array (GB/s)", gbps(huge.nbytes, lambda: scidb.content_hash(huge.reshape(2**12, -1, order="F"))), ""),
        ("numpy copy of it, for scale (GB/s)", gbps(huge.nbytes, lambda: huge.copy()), ""),
    ]
    print(f"{'measure':<44} {'value':>10}  target")
    for name, value, target in rows:
        print(f"{name:<44} {value:>10.3f}  {target}")


if __name__ == "__main__":
    main()
