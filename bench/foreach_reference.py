"""The reference implementation's for_each (PyPI `scistack`), timed on the
workload of bench/foreach.py; run by it in a separate venv that has
`pip install scistack`. Prints "seed_s X run_s Y n N".

    /var/tmp/scistack-venv/bin/python bench/foreach_reference.py DIR N
"""

import sys
import time
from pathlib import Path

import numpy as np
from scidb import BaseVariable, configure_database, for_each


class BenchIn(BaseVariable):
    pass


class BenchOut(BaseVariable):
    pass


def plus_one(x):
    return x + 1.0


def main():
    work, n = Path(sys.argv[1]), int(sys.argv[2])
    # This version takes no lineage path (lineage lives in the same file).
    configure_database(str(work / "reference.duckdb"), ["subject"])
    t = time.perf_counter()
    for i in range(n):
        BenchIn.save(np.float64(i), subject=i)
    seed = time.perf_counter() - t
    t = time.perf_counter()
    for_each(plus_one, inputs={"x": BenchIn}, outputs=[BenchOut], subject=list(range(n)))
    run = time.perf_counter() - t
    print(f"seed_s {seed:.3f} run_s {run:.3f} n {n}")


if __name__ == "__main__":
    main()
