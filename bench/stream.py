"""`make bench` (stream part): side by side, from one run.

1. Identity-mapping 100 chunks of 1M doubles through a child driven by
   tests/stream_harness.py (playing SciDB): our Python child, scidb-strm's
   (PyPI 19.11.4, in its own venv), and our C child.
   Target: ours at least as fast as scidb-strm; the C child near memory
   bandwidth (a memcpy of the same bytes is printed for scale).
2. A 2 GB float64 array saved from chunks and streamed back, in Python and
   in C, with peak memory (RSS). Target: under 300 MB.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))

import stream_harness as h  # noqa: E402

STRM_VENV = Path(os.environ.get("SCIDB_STRM_VENV", "/var/tmp/scidb-strm-ref-venv"))
STRM_PACKAGES = ["scidb-strm==19.11.4", "numpy<2", "pandas<2.2"]
CHUNKS, ROWS = 100, 1_000_000
BIG_GIB = float(os.environ.get("SCIDB_BENCH_BIG_GIB", "2"))


def strm_python():
    py = STRM_VENV / "bin" / "python"
    if not py.exists():
        print(f"creating {STRM_VENV} (first run only)...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(STRM_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *STRM_PACKAGES], check=True)
    return str(py)


def library_dir():
    import scidb._lib

    return str(Path(scidb._lib.lib._name).resolve().parent)


def compile_c(source, out):
    lib = library_dir()
    subprocess.run(
        ["gcc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{REPO / 'include'}",
         str(source), "-o", str(out), f"-L{lib}", "-lscidb", f"-Wl,-rpath,{lib}"],
        check=True,
    )
    return str(out)


def throughput(argv, message):
    """Wall-clock seconds of the exchange (harness included) and the
    child's own CPU seconds."""
    t = time.perf_counter()
    out = h.run(argv, [message] * CHUNKS, timeout=600, decode=False)
    seconds = time.perf_counter() - t
    assert len(out.answers) == CHUNKS and all(len(a) > ROWS * 8 for a in out.answers)
    return seconds, out.cpu_seconds


def memcpy_seconds(nbytes):
    src = np.ones(nbytes // 8)
    dst = np.empty_like(src)
    t = time.perf_counter()
    for _ in range(CHUNKS):
        np.copyto(dst, src)
    return time.perf_counter() - t


BIG_PY = """
import json, re, sys, time
import numpy as np
import scidb
from scidb import BaseVariable
class Big(BaseVariable):
    pass
def peak_rss_mb():
    # VmHWM: ru_maxrss would include the parent's peak (kept across exec).
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
rss_save = peak_rss_mb()
t = time.perf_counter()
seen, ok = 0, True
for c in Big.load_chunks(subject=1):
    ok &= c[0] == seen and c[-1] == seen + len(c) - 1
    seen += len(c)
load_s = time.perf_counter() - t
gb = total * 8 / 1e9
print(json.dumps({"gb": round(gb, 3), "save_s": round(save_s, 2), "load_s": round(load_s, 2),
                  "save_gbps": round(gb / save_s, 3), "load_gbps": round(gb / load_s, 3),
                  "peak_rss_mb_after_save": rss_save,
                  "peak_rss_mb": peak_rss_mb(),
                  "ok": bool(ok and seen == total)}))
"""


def big(argv, work):
    out = subprocess.run(argv + [str(Path(work) / "big.duckdb"), str(BIG_GIB)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    import pyarrow as pa

    base = Path(os.environ.get("SCIDB_BENCH_DIR", tempfile.gettempdir()))
    with tempfile.TemporaryDirectory(dir=base) as work:
        child = compile_c(REPO / "tests" / "c" / "stream_child.c", Path(work) / "stream_child")
        big_c = compile_c(HERE / "c" / "chunked_big.c", Path(work) / "chunked_big")
        with tempfile.TemporaryDirectory(dir=base) as w1, tempfile.TemporaryDirectory(dir=base) as w2:
            results = {
                "Python": big([sys.executable, "-c", BIG_PY], w1),
                "C": big([big_c], w2),
            }
        print(f"{BIG_GIB:g} GiB float64 array saved from 1M-element chunks and streamed back")
        for name, r in results.items():
            print(f"  {name:<7} save {r['save_s']:6.1f} s ({r['save_gbps']:.2f} GB/s), "
                  f"read {r['load_s']:6.1f} s ({r['load_gbps']:.2f} GB/s), "
                  f"peak RSS {r['peak_rss_mb']} MB (target < 300), correct: {r['ok']}")

        batch = pa.record_batch({"x": pa.array(np.random.default_rng(0).standard_normal(ROWS))})
        message = h.arrow_message(batch)
        mb = CHUNKS * (len(message) - 8) / 1e6
        identity = "import {m}\n{n}.map(lambda df: df)"
        runs = {
            "scidb-strm (Python)": [strm_python(), "-c", identity.format(m="scidbstrm", n="scidbstrm")],
            "scidb.stream (Python)": [sys.executable, "-c", identity.format(m="scidb.stream", n="scidb.stream")],
            "scidb C child": [child, "identity"],
        }
        seconds = {name: throughput(argv, message) for name, argv in runs.items()}
        copy = memcpy_seconds(len(message) - 8)
        print(f"\nidentity map, {CHUNKS} chunks of {ROWS:,} doubles ({mb:,.0f} MB each way)")
        print(f"  {'child':<24} {'wall s':>8} {'MB/s':>8} {'child CPU s':>12} {'MB/CPU s':>9}")
        for name, (wall, cpu) in seconds.items():
            print(f"  {name:<24} {wall:8.2f} {mb / wall:8.0f} {cpu:12.2f} {mb / cpu:9.0f}")
        ratio_wall = seconds["scidb-strm (Python)"][0] / seconds["scidb.stream (Python)"][0]
        ratio_cpu = seconds["scidb-strm (Python)"][1] / seconds["scidb.stream (Python)"][1]
        print(f"  scidb.stream is {ratio_wall:.2f}x scidb-strm's speed by wall clock and "
              f"{ratio_cpu:.2f}x by child CPU time (target >= 1)")
        print(f"  (wall clock includes the Python harness playing SciDB; a memcpy of the "
              f"same bytes runs at {mb / copy:,.0f} MB/s)")


if __name__ == "__main__":
    main()
