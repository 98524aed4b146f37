"""The benchmark workload, written once against the seed API so it runs
unchanged on scidb and on the reference implementation (`scistack`, whose
module is also called `scidb`). Run as a script it prints JSON timings.

    python workload.py DIR [--big] [--n-scalar N] [--n-records N]
"""

import argparse
import json
import os
import statistics
import time

import numpy as np
from scidb import BaseVariable, configure_database


class BenchScalar(BaseVariable):
    pass


class BenchRecord(BaseVariable):
    pass


class BenchBig(BaseVariable):
    pass


def load_all_df(cls):
    """`load_all(as_df=True)`; the reference spells it `load(as_df=True)`."""
    if hasattr(cls, "load_all"):
        return cls.load_all(as_df=True)
    return cls.load(as_df=True)


def median_ms(samples):
    return statistics.median(samples) * 1e3


def scalar_latency(n):
    saves, loads = [], []
    for i in range(n):
        t = time.perf_counter()
        BenchScalar.save(float(i) * 0.5, subject=i, session="a")
        saves.append(time.perf_counter() - t)
    for i in range(n):
        t = time.perf_counter()
        v = BenchScalar.load(subject=i, session="a")
        loads.append(time.perf_counter() - t)
        assert v.data == float(i) * 0.5, (v.data, i)
    return {"save_ms": median_ms(saves), "load_ms": median_ms(loads)}


def load_all_latency(n, repeats=5):
    for i in range(n):
        BenchRecord.save(float(i), subject=i, session="b")
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        df = load_all_df(BenchRecord)
        times.append(time.perf_counter() - t)
        assert len(df) == n, len(df)
    return {"load_all_ms": median_ms(times)}


def big_round_trip(repeats=3):
    array = np.random.default_rng(1).standard_normal(100 * 2**20 // 8)
    times = []
    for r in range(repeats):
        array[0] = r  # new content each time, so every save really writes
        t = time.perf_counter()
        BenchBig.save(array, subject=r, session="big")
        back = BenchBig.load(subject=r, session="big").data
        times.append(time.perf_counter() - t)
        assert back.shape == array.shape and back[0] == r
    return {"big_ms": median_ms(times)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--n-scalar", type=int, default=300)
    p.add_argument("--n-records", type=int, default=1000)
    p.add_argument("--big", action="store_true")
    a = p.parse_args()
    path = os.path.join(a.dir, "bench.duckdb")
    configure_database(path, ["subject", "session"])
    out = {}
    out.update(scalar_latency(a.n_scalar))
    out.update(load_all_latency(a.n_records))
    if a.big:
        out.update(big_round_trip())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
