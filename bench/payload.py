"""`make bench`: large values against numpy and pandas, side by side in one
run, as ratios (issue 11). Our saves are durable, so every reference write
is followed by os.fsync.

1. A 100 MB float64 array: save, and load followed by a full sum, against
   np.save + fsync and np.load + sum (best of 3 each).
2. A 2 GiB float64 value saved from 1M-element chunks and read back chunk
   by chunk, against np.save + fsync of the same 2 GiB array and np.load;
   peak RSS of the scidb process (each side runs in its own process).
3. A 1M-row x 10-column DataFrame save and load against pandas
   to_parquet (+ fsync) and read_parquet.

Targets: 100 MB save and load within 1.2x of numpy; 2 GiB chunked save and
read within 1.5x, peak RSS under 300 MB; DataFrame within 1.5x of Parquet.
The Octave figures are bench/mex.py's. SCIDB_BENCH_BIG_GIB shrinks part 2;
SCIDB_BENCH_ONLY=dataframe runs part 3 alone. Part 3 also prints where a
DataFrame save and load spend their time (pandas to Arrow, the content
hash, the Arrow IPC file written and fsynced, Arrow to pandas).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

BIG_GIB = float(os.environ.get("SCIDB_BENCH_BIG_GIB", "2"))
REPEATS = 3


def fsync_path(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def best(fn, repeats=REPEATS):
    times = []
    for r in range(repeats):
        t = time.perf_counter()
        fn(r)
        times.append(time.perf_counter() - t)
    return min(times)


def array_100mb(work):
    import scidb
    from scidb import BaseVariable

    class Big(BaseVariable):
        pass

    arrays = [np.random.default_rng(r).standard_normal(100 * 10**6 // 8) for r in range(REPEATS)]
    db = scidb.configure_database(Path(work) / "a.duckdb", ["subject"])

    def np_save(r):
        p = Path(work) / f"np{r}.npy"
        np.save(p, arrays[r])
        fsync_path(p)

    def np_load(r):
        np.load(Path(work) / f"np{r}.npy").sum()

    def our_save(r):
        Big.save(arrays[r], subject=r)

    def our_load(r):
        Big.load(subject=r).data.sum()

    result = {
        "numpy save": best(np_save),
        "scidb save": best(our_save),
        "numpy load+sum": best(np_load),
        "scidb load+sum": best(our_load),
    }
    db.close()
    return result


CHUNKED_PY = """
import json, re, sys, time
import numpy as np
import scidb
from scidb import BaseVariable
class Big(BaseVariable):
    pass
def peak_rss_mb():
    with open("/proc/self/status") as f:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", f.read()).group(1)) // 1024
scidb.configure_database(sys.argv[1], ["subject"])
total = int(float(sys.argv[2]) * 2**30) // 8
def chunks():
    for start in range(0, total, 1_000_000):
        yield np.arange(start, min(start + 1_000_000, total), dtype=np.float64)
t = time.perf_counter()
Big.save_chunks(chunks(), subject=1)
save_s = time.perf_counter() - t
t = time.perf_counter()
seen = 0
for c in Big.load_chunks(subject=1):
    assert c[0] == seen
    seen += len(c)
load_s = time.perf_counter() - t
assert seen == total
print(json.dumps({"save": save_s, "load": load_s, "rss": peak_rss_mb()}))
"""

NUMPY_BIG_PY = """
import json, os, sys, time
import numpy as np
total = int(float(sys.argv[2]) * 2**30) // 8
a = np.arange(total, dtype=np.float64)
t = time.perf_counter()
np.save(sys.argv[1], a)
fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd); os.close(fd)
save_s = time.perf_counter() - t
del a
t = time.perf_counter()
b = np.load(sys.argv[1])
load_s = time.perf_counter() - t
assert b[-1] == total - 1
print(json.dumps({"save": save_s, "load": load_s}))
"""


def chunked_2gib(work):
    def run(code, path):
        out = subprocess.run([sys.executable, "-c", code, str(path), str(BIG_GIB)],
                             check=True, capture_output=True, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    ours = run(CHUNKED_PY, Path(work) / "c.duckdb")
    ref = run(NUMPY_BIG_PY, Path(work) / "big.npy")
    return ours, ref


def dataframe(work):
    import scidb
    from scidb import BaseVariable

    class Frame(BaseVariable):
        pass

    n = 1_000_000
    rng = np.random.default_rng(3)
    frames = []
    for r in range(REPEATS):
        cols = {f"f{i}": rng.standard_normal(n) for i in range(6)}
        cols.update({f"i{i}": rng.integers(0, 1000, n) for i in range(3)})
        cols["label"] = pd.Series(rng.integers(0, 50, n)).map(lambda k: f"cond{k}").to_numpy()
        frames.append(pd.DataFrame(cols))
    db = scidb.configure_database(Path(work) / "f.duckdb", ["subject"])

    def pq_save(r):
        p = Path(work) / f"f{r}.parquet"
        frames[r].to_parquet(p)
        fsync_path(p)

    def pq_load(r):
        pd.read_parquet(Path(work) / f"f{r}.parquet")

    result = {
        "parquet save": best(pq_save),
        "scidb save": best(lambda r: Frame.save(frames[r], subject=r)),
        "parquet load": best(pq_load),
        "scidb load": best(lambda r: Frame.load(subject=r).data),
    }
    result["parts"] = dataframe_parts(work, frames)
    db.close()
    return result


def dataframe_parts(work, frames):
    """The pieces of a DataFrame save and load, timed alone (best of 3)."""
    import pyarrow as pa
    import pyarrow.ipc

    import scidb
    from scidb import _tables

    batches = [_tables.to_batch(f) for f in frames]

    def ipc_write(r):
        p = Path(work) / f"b{r}.arrow"
        with pa.OSFile(str(p), "wb") as sink, pa.ipc.new_file(sink, batches[r].schema) as w:
            w.write_batch(batches[r])
        fsync_path(p)

    tables = [pa.Table.from_batches([b]) for b in batches]
    to_arrow = best(lambda r: _tables.to_batch(frames[r]))
    return {
        "pandas -> Arrow": to_arrow,
        "Arrow -> scidb value + content hash": best(lambda r: scidb.content_hash(frames[r])) - to_arrow,
        "Arrow IPC file write + fsync (pyarrow)": best(ipc_write),
        "Arrow -> pandas": best(lambda r: _tables.to_frame(tables[r])),
    }


def line(what, ours, ref, target):
    ratio = ours / ref
    print(f"  {what:<34}{ours * 1e3:>10.0f}{ref * 1e3:>12.0f}{ratio:>8.2f}x  (target <= {target}x)")


def main():
    base = Path(os.environ.get("SCIDB_BENCH_DIR", tempfile.gettempdir()))
    if os.environ.get("SCIDB_BENCH_ONLY") == "dataframe":
        with tempfile.TemporaryDirectory(dir=base) as work:
            f = dataframe(work)
        print(f"  {'':<34}{'scidb ms':>10}{'reference':>12}{'ratio':>9}")
        print_dataframe(f)
        return
    with tempfile.TemporaryDirectory(dir=base) as work:
        a = array_100mb(work)
    with tempfile.TemporaryDirectory(dir=base) as work:
        ours, ref = chunked_2gib(work)
    with tempfile.TemporaryDirectory(dir=base) as work:
        f = dataframe(work)
    print("Large values (payload files), best of 3, one run side by side")
    print(f"  {'':<34}{'scidb ms':>10}{'reference':>12}{'ratio':>9}")
    line("100 MB float64 save (np.save+fsync)", a["scidb save"], a["numpy save"], 1.2)
    line("100 MB load + sum (np.load + sum)", a["scidb load+sum"], a["numpy load+sum"], 1.2)
    line(f"{BIG_GIB:g} GiB chunked save (np.save+fsync)", ours["save"], ref["save"], 1.5)
    line(f"{BIG_GIB:g} GiB chunked read (np.load)", ours["load"], ref["load"], 1.5)
    print(f"  {'':<34}peak RSS of the chunked save and read: {ours['rss']} MB (target < 300)")
    print_dataframe(f)


def print_dataframe(f):
    line("1M x 10 DataFrame save (to_parquet)", f["scidb save"], f["parquet save"], 1.5)
    line("1M x 10 DataFrame load (read_parquet)", f["scidb load"], f["parquet load"], 1.5)
    print("  where a DataFrame save and load go (ms, each part alone):")
    for what, seconds in f["parts"].items():
        print(f"    {what:<44}{seconds * 1e3:>8.0f}")


if __name__ == "__main__":
    main()
