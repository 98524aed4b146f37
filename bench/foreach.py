"""`make bench` (for_each part): N combinations of a trivial function with
one input and one output, from Python, from Octave (when octave-cli and
the MEX are there) and from C, and the same workload on
the reference implementation (PyPI `scistack`, in its own venv), side by
side in one run.

Targets (issue 5): <= 0.5 ms of overhead per iteration from Python and C;
at least 20x faster than the reference.

    python bench/foreach.py
    SCIDB_BENCH_N=10000 SCIDB_BENCH_REF_N=1000 \
    SCIDB_REFERENCE_PYTHON=/var/tmp/scistack-venv/bin/python python bench/foreach.py

The reference saves a record in tens of ms, so its database is seeded with
SCIDB_BENCH_REF_N records (default 1000) and its per-iteration time is
compared; set SCIDB_REFERENCE_PYTHON="" to skip it.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scidb import BaseVariable, configure_database, for_each

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
N = int(os.environ.get("SCIDB_BENCH_N", "10000"))
REF_N = int(os.environ.get("SCIDB_BENCH_REF_N", "1000"))
REF_PY = os.environ.get("SCIDB_REFERENCE_PYTHON", "/var/tmp/scistack-venv/bin/python")


class BenchIn(BaseVariable):
    pass


class BenchOut(BaseVariable):
    pass


def plus_one(x):
    return x + 1.0


def parse(line):
    words = line.split()
    return {words[i]: float(words[i + 1]) for i in range(0, len(words) - 1, 2)}


def python_side(work):
    db = configure_database(work / "python.duckdb", ["subject"])
    for i in range(N):
        BenchIn.save(float(i), subject=i)
    args = dict(inputs={"x": BenchIn}, outputs=[BenchOut], subject=[], quiet=True)
    # The function alone, on the same inputs, to subtract it.
    xs = [float(i) for i in range(N)]
    t = time.perf_counter()
    for x in xs:
        plus_one(x)
    bare = time.perf_counter() - t
    t = time.perf_counter()
    df = for_each(plus_one, **args)
    run = time.perf_counter() - t
    assert (df["status"] == "ran").all(), df["status"].value_counts()
    t = time.perf_counter()
    df = for_each(plus_one, **args)
    cached = time.perf_counter() - t
    assert (df["status"] == "cached").all()
    db.close()
    return run - bare, cached


def c_side(work):
    lib_dir = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "release"
    exe = work / "foreach_bench"
    subprocess.run(
        ["gcc", "-O2", "-std=c11", f"-I{REPO / 'include'}", str(HERE / "c" / "foreach_bench.c"),
         "-o", str(exe), f"-L{lib_dir}", "-lscidb", f"-Wl,-rpath,{lib_dir}"],
        check=True,
    )
    out = subprocess.run([str(exe), str(work / "c.duckdb"), str(N)], check=True,
                         capture_output=True, text=True).stdout
    r = parse(out.strip().splitlines()[-1])
    return r["run_ms"] / 1e3, r["cached_ms"] / 1e3


def octave_side(work):
    import shutil

    if shutil.which("octave-cli") is None or not list((REPO / "matlab").glob("scidb_mex.mex*")):
        return None
    cmd = f"octave_foreach('{work / 'octave.duckdb'}', {N})"
    out = subprocess.run(["octave-cli", "--no-gui", "--norc", "--quiet", "--eval", cmd],
                         cwd=HERE, check=True, capture_output=True, text=True).stdout
    r = parse(out.strip().splitlines()[-1])
    return r["run_ms"] / 1e3, r["cached_ms"] / 1e3


def reference_side(work):
    if not REF_PY or not Path(REF_PY).exists():
        return None
    ref = work / "reference"
    ref.mkdir()
    out = subprocess.run([REF_PY, str(HERE / "foreach_reference.py"), str(ref), str(REF_N)],
                         check=True, capture_output=True, text=True).stdout
    r = parse(out.strip().splitlines()[-1])
    return r["run_s"] / r["n"]


def main():
    work = Path(tempfile.mkdtemp(prefix="scidb-bench-foreach-"))
    py_run, py_cached = python_side(work)
    c_run, c_cached = c_side(work)
    octave = octave_side(work)
    ref = reference_side(work)
    print(f"for_each benchmark: {N} combinations of a trivial function, 1 input, 1 output "
          "(one run, side by side)")
    print(f"{'':38}{'Python':>12}{'Octave':>12}{'C':>12}{'reference':>12}")
    ref_ms = f"{ref * 1e3:>12.3f}" if ref is not None else f"{'-':>12}"
    oct_run = f"{octave[0] / N * 1e3:>12.3f}" if octave else f"{'-':>12}"
    oct_cached = f"{octave[1] / N * 1e3:>12.3f}" if octave else f"{'-':>12}"
    print(f"{'first run, ms/iteration (overhead)':38}{py_run / N * 1e3:>12.3f}{oct_run}"
          f"{c_run / N * 1e3:>12.3f}{ref_ms}")
    print(f"{'second run (all cached), ms/iteration':38}{py_cached / N * 1e3:>12.3f}{oct_cached}"
          f"{c_cached / N * 1e3:>12.3f}{'':>12}")
    if ref is not None:
        print(f"\nreference timed on {REF_N} combinations; speed-up over it: "
              f"Python {ref / (py_run / N):.0f}x, C {ref / (c_run / N):.0f}x"
              + (f", Octave {ref / (octave[0] / N):.0f}x" if octave else ""))
    subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    sys.exit(main())
