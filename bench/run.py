"""`make bench`: runs the benchmark workload on scidb and on the reference
implementation (scistack 0.1.58, installed into its own venv on first use)
and prints one table, side by side, from one run.

Targets (issue 2): single save <= 1 ms; 100 MB save+load within 2x of
numpy's np.save/np.load to the same disk; 1,000-record load_all(as_df=True)
<= 20 ms.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REF_VENV = Path(os.environ.get("SCIDB_REF_VENV", "/var/tmp/scidb-ref-venv"))
REF_PACKAGE = "scistack==0.1.58"


def reference_python():
    py = REF_VENV / "bin" / "python"
    if not py.exists():
        print(f"creating {REF_VENV} with {REF_PACKAGE} (first run only)...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(REF_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", REF_PACKAGE], check=True)
    return py


def run_workload(python, args, work):
    out = subprocess.run(
        [str(python), str(HERE / "workload.py"), str(work), *args],
        check=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=work,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def numpy_round_trip(work, repeats=3):
    array = np.random.default_rng(1).standard_normal(100 * 2**20 // 8)
    times = []
    for r in range(repeats):
        array[0] = r
        path = Path(work) / f"big{r}.npy"
        t = time.perf_counter()
        np.save(path, array)
        back = np.load(path)
        times.append(time.perf_counter() - t)
        assert back[0] == r
    return statistics.median(times) * 1e3


def main():
    ref_py = reference_python()
    base = Path(os.environ.get("SCIDB_BENCH_DIR", tempfile.gettempdir()))
    with tempfile.TemporaryDirectory(dir=base) as ours_dir, tempfile.TemporaryDirectory(
        dir=base
    ) as ref_dir, tempfile.TemporaryDirectory(dir=base) as np_dir:
        ours = run_workload(sys.executable, ["--big"], ours_dir)
        ref = run_workload(ref_py, [], ref_dir)
        numpy_ms = numpy_round_trip(np_dir)

    rows = [
        ("scalar save, median (ms)", ours["save_ms"], ref["save_ms"], "reference", "<= 1 ms"),
        ("scalar load, median (ms)", ours["load_ms"], ref["load_ms"], "reference", ""),
        ("load_all(as_df=True), 1,000 records (ms)", ours["load_all_ms"], ref["load_all_ms"], "reference", "<= 20 ms"),
        ("100 MB float64 save+load (ms)", ours["big_ms"], numpy_ms, "np.save+np.load", "<= 2x numpy"),
    ]
    print(f"{'measure':<42} {'scidb':>10} {'other':>10} {'other is':<16} {'ratio':>8}  target")
    for name, a, b, what, target in rows:
        print(f"{name:<42} {a:>10.3f} {b:>10.3f} {what:<16} {b / a:>7.1f}x  {target}")
    print("(ratio = other / scidb; above 1 means scidb is faster)")


if __name__ == "__main__":
    main()
