"""`make bench` (inspect part): `scidb vars`, `scidb status` and
`scidb graph` on a database of 100,000 records (half raw values, half the
outputs of one for_each step with their lineage), each timed as the whole
command (start, open, compute, print).

Target (issue 15): each under 2 s.

    python bench/inspect_commands.py
    SCIDB_BENCH_RECORDS=20000 python bench/inspect_commands.py
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scidb import BaseVariable, configure_database, for_each

RECORDS = int(os.environ.get("SCIDB_BENCH_RECORDS", "100000"))
TARGET_S = 2.0
REPEATS = 3


class Reading(BaseVariable):
    pass


class Calibrated(BaseVariable):
    pass


def calibrate(x, gain):
    return x * gain


def program():
    lib = os.environ.get("SCIDB_LIBRARY")
    if lib:
        return Path(lib).with_name("scidb")
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path(__file__).resolve().parents[1] / "target"))
    return target / "release" / "scidb"


def build(path):
    n = RECORDS // 2
    db = configure_database(path, ["subject", "trial"])
    per_subject = 100
    for i in range(n):
        Reading.save(float(i), subject=i // per_subject, trial=i % per_subject)
    for_each(calibrate, inputs={"x": Reading, "gain": 2.0}, outputs=[Calibrated],
             subject=list(range(n // per_subject)), trial=list(range(per_subject)), quiet=True)
    db.close()


def best_of(args):
    best = None
    for _ in range(REPEATS):
        t = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return best


def main():
    exe = program()
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "inspect.duckdb"
        t = time.perf_counter()
        build(path)
        print(f"built {RECORDS} records in {time.perf_counter() - t:.1f} s")
        rows = []
        for name, args in [
            ("scidb vars", ["vars", str(path)]),
            ("scidb status", ["status", str(path)]),
            ("scidb graph -o .svg", ["graph", str(path), "-o", str(Path(work) / "g.svg")]),
        ]:
            rows.append((name, best_of([str(exe), *args])))
        print(f"\n{'command (' + str(RECORDS) + ' records)':<34} {'best of 3':>10} {'target':>8}")
        for name, dt in rows:
            mark = "ok" if dt < TARGET_S else "SLOW"
            print(f"{name:<34} {dt:>9.2f}s {TARGET_S:>7.1f}s  {mark}")


if __name__ == "__main__":
    sys.exit(main())
