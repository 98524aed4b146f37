"""`make bench` (cluster part): a PostgreSQL catalog (localhost TCP) beside
a DuckDB file, and for_each(reserve_jobs=True) shared by 1, 4 and 8
worker processes, side by side in one run.

Targets: a scalar save on PostgreSQL <= 3 ms; shared for_each
coordination overhead <= 2 ms per combination; 8 workers >= 6x faster
than 1.

    tests/pg/with_server.sh python3 bench/cluster.py

Needs the test server of tests/pg/with_server.sh (SCIDB_TEST_PG_URL);
every scenario gets a fresh catalog from tests/pg/new_catalog.sh.

- Scalar latency: SCIDB_BENCH_OPS (300) saves of distinct scalars, then
  as many loads of them, each after SCIDB_BENCH_WARMUP (50) untimed ones;
  median and p90.
- Shared for_each: SCIDB_BENCH_JOBS (2000) input records are seeded into
  a fresh catalog, then W processes running this script (`--worker`) are
  started together; each runs the same for_each of a function sleeping
  5 ms with reserve_jobs=True. Wall time is from starting them to the last
  one's exit (process start, import and planning included). Overhead per
  combination = (wall x W - N x 5 ms) / N: the process time not spent in
  the function. The rows under it split a worker's time into start-up
  (interpreter, imports, opening the catalog), for_each minus the function
  (planning, adding jobs, claims, saves, reading back what others ran, the
  run log) and the function itself; "summed, per comb." is the for_each
  part of all workers over N, the overhead without process start and exit.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NEW_CATALOG = HERE.parent / "tests" / "pg" / "new_catalog.sh"
OPS = int(os.environ.get("SCIDB_BENCH_OPS", "300"))
WARMUP = int(os.environ.get("SCIDB_BENCH_WARMUP", "50"))
JOBS = int(os.environ.get("SCIDB_BENCH_JOBS", "2000"))
NAP = 0.005
WORKER_COUNTS = (1, 4, 8)
KEYS = ["subject", "trial"]
TRIALS = 50

_T0 = time.time()  # a worker's start, before scidb and its dependencies are imported

import scidb  # noqa: E402
from scidb import BaseVariable  # noqa: E402

_T_IMPORTED = time.time()


class BenchScalar(BaseVariable):
    pass


class BenchInput(BaseVariable):
    pass


class BenchNapped(BaseVariable):
    pass


_IN_FN = 0.0
_FIRST_FN = _LAST_FN = None  # when the function first started and last ended


def nap(x):
    global _IN_FN, _FIRST_FN, _LAST_FN
    t = time.perf_counter()
    if _FIRST_FN is None:
        _FIRST_FN = time.time()
    time.sleep(NAP)
    _IN_FN += time.perf_counter() - t
    _LAST_FN = time.time()
    return x


def combinations(n):
    return [(i // TRIALS, i % TRIALS) for i in range(n)]


def worker(url, data):
    db = scidb.configure_database(url, KEYS, data_path=data)
    t_open = time.time()
    # Ready; wait for the parent's go, so that all workers start together.
    print("ready", flush=True)
    sys.stdin.readline()
    t_go = time.time()
    cpu_go = time.process_time()
    subjects = sorted({s for s, _ in combinations(JOBS)})
    df = scidb.for_each(nap, inputs={"x": BenchInput}, outputs=[BenchNapped], reserve_jobs=True,
                        quiet=True, subject=subjects, trial=list(range(TRIALS)))
    t_end = time.time()
    cpu = time.process_time() - cpu_go
    db.close()
    counts = df["status"].value_counts().to_dict()
    print(json.dumps({"start": _T0, "imported": _T_IMPORTED, "opened": t_open, "go": t_go, "end": t_end,
                      "in_fn": _IN_FN, "cpu": cpu,
                      "first_fn": _FIRST_FN or t_go, "last_fn": _LAST_FN or t_go,
                      "ran": int(counts.get("ran", 0)), "cached": int(counts.get("cached", 0)),
                      "other": {k: int(v) for k, v in counts.items() if k not in ("ran", "cached")}}))


# --- the parent ---


def new_catalog():
    return subprocess.run([str(NEW_CATALOG)], check=True, capture_output=True, text=True).stdout.strip()


def psql(sql):
    env = dict(os.environ, PGPASSWORD=os.environ["SCIDB_TEST_PG_PASSWORD"])
    out = subprocess.run(["psql", "-qAtX", "-v", "ON_ERROR_STOP=1", os.environ["SCIDB_TEST_PG_URL"], "-c", sql],
                         check=True, capture_output=True, text=True, env=env)
    return out.stdout.strip()


def commits():
    """Transactions committed in the test database so far (the server's
    statistics, flushed when a connection ends)."""
    return int(psql("SELECT pg_stat_force_next_flush(); "
                    "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
               .splitlines()[-1])


def p(samples, q):
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))] * 1e3


def scalar_latency(open_db):
    db = open_db()
    saves, loads = [], []
    for i in range(WARMUP + OPS):
        t = time.perf_counter()
        BenchScalar.save(float(i) * 0.5, subject=i, trial=0)
        saves.append(time.perf_counter() - t)
    for i in range(WARMUP + OPS):
        t = time.perf_counter()
        v = BenchScalar.load(subject=i, trial=0)
        loads.append(time.perf_counter() - t)
        assert v.data == float(i) * 0.5, (v.data, i)
    db.close()
    saves, loads = saves[WARMUP:], loads[WARMUP:]
    return {"save": (statistics.median(saves) * 1e3, p(saves, 0.9)),
            "load": (statistics.median(loads) * 1e3, p(loads, 0.9))}


def seed(url, data):
    db = scidb.configure_database(url, KEYS, data_path=data)
    for s, t in combinations(JOBS):
        BenchInput.save(float(s * TRIALS + t), subject=s, trial=t)
    db.close()


def shared_run(workers, base):
    url = new_catalog()
    data = Path(tempfile.mkdtemp(dir=base))
    seed(url, data)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    before = commits()
    t = time.perf_counter()
    start = time.time()
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", url, str(data)], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(workers)]
    for proc in procs:
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit("a worker did not get ready")
    go = time.time()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outs = [proc.communicate()[0] for proc in procs]
    wall = time.perf_counter() - t
    for proc, out in zip(procs, outs):
        if proc.returncode != 0:
            raise SystemExit(f"a worker failed (exit {proc.returncode}): {out}")
    reports = [json.loads(out.strip().splitlines()[-1]) for out in outs]
    xacts = commits() - before
    db = scidb.configure_database(url, KEYS, data_path=data)
    jobs = db.jobs()
    done = int((jobs["status"] == "done").sum())
    computed = sum(1 for _ in BenchNapped.load_all())
    db.close()
    ran = sum(r["ran"] for r in reports)
    if ran != JOBS or done != JOBS or computed != JOBS or any(r["other"] for r in reports):
        raise SystemExit(f"{workers} workers: {ran} ran, {done} jobs done, {computed} outputs "
                         f"(expected {JOBS} each); {reports}")
    return {
        "wall": wall,
        "together": max(r["end"] for r in reports) - go,
        "startup": statistics.mean(r["opened"] - start for r in reports),
        "imports": statistics.mean(r["imported"] - r["start"] for r in reports),
        "tail": start + wall - max(r["end"] for r in reports),
        "coord": statistics.mean(r["end"] - r["opened"] - r["in_fn"] for r in reports),
        "in_fn": statistics.mean(r["in_fn"] for r in reports),
        "ran": [r["ran"] for r in reports],
        "xacts": xacts,
    }


def verdict(ok):
    return "PASS" if ok else "MISS"


def main():
    if not os.environ.get("SCIDB_TEST_PG_URL"):
        raise SystemExit("bench/cluster.py needs a PostgreSQL server: tests/pg/with_server.sh python3 bench/cluster.py")
    began = time.perf_counter()
    load = os.getloadavg()[0]
    base = Path(os.environ.get("SCIDB_BENCH_DIR", tempfile.gettempdir()))
    with tempfile.TemporaryDirectory(dir=base) as work:
        work = Path(work)
        pg = scalar_latency(lambda: scidb.configure_database(new_catalog(), KEYS, data_path=work / "pg.data"))
        duck = scalar_latency(lambda: scidb.configure_database(work / "one.duckdb", KEYS))
        runs = {w: shared_run(w, work) for w in WORKER_COUNTS}

    print(f"\nscalar latency, {OPS} operations after {WARMUP} warm-up (ms)")
    print(f"{'measure':<24} {'PostgreSQL':>11} {'DuckDB':>9} {'PG/DuckDB':>10}  target")
    for op in ("save", "load"):
        for i, stat in enumerate(("median", "p90")):
            a, b = pg[op][i], duck[op][i]
            target = ""
            if op == "save" and stat == "median":
                target = f"<= 3 ms on PostgreSQL: {verdict(a <= 3.0)}"
            print(f"{'scalar ' + op + ', ' + stat:<24} {a:>11.3f} {b:>9.3f} {a / b:>9.1f}x  {target}")

    nominal = JOBS * NAP
    one = runs[1]["wall"]
    print(f"\nfor_each(reserve_jobs=True), {JOBS} combinations of a {NAP * 1e3:.0f} ms function, "
          f"separate processes on one PostgreSQL catalog")
    print(f"{'workers':<50}" + "".join(f"{w:>9}" for w in WORKER_COUNTS))

    def row(name, values, fmt="{:>9.2f}"):
        print(f"{name:<50}" + "".join(fmt.format(v) for v in values))

    row("wall, start to last exit (s)", [runs[w]["wall"] for w in WORKER_COUNTS])
    row("speed-up vs 1 worker", [one / runs[w]["wall"] for w in WORKER_COUNTS])
    row("wall, common go to last for_each end (s)", [runs[w]["together"] for w in WORKER_COUNTS])
    row("speed-up vs 1 worker, from the common go", [runs[1]["together"] / runs[w]["together"] for w in WORKER_COUNTS])
    row("ideal wall (N x 5 ms / workers, s)", [nominal / w for w in WORKER_COUNTS])
    overhead = {w: (runs[w]["wall"] * w - nominal) / JOBS * 1e3 for w in WORKER_COUNTS}
    row("overhead per combination (ms)", [overhead[w] for w in WORKER_COUNTS])
    print("  where a worker's time goes (mean over the workers, s):")
    row("    start-up: interpreter, imports, open", [runs[w]["startup"] for w in WORKER_COUNTS])
    row("      of which importing scidb", [runs[w]["imports"] for w in WORKER_COUNTS])
    row("    for_each minus the function", [runs[w]["coord"] for w in WORKER_COUNTS])
    row("    the function", [runs[w]["in_fn"] for w in WORKER_COUNTS])
    row("  last for_each's end to last exit (s)", [runs[w]["tail"] for w in WORKER_COUNTS])
    row("for_each minus function, summed, per comb. (ms)",
        [runs[w]["coord"] * w / JOBS * 1e3 for w in WORKER_COUNTS])
    row("combinations run by the busiest worker", [max(runs[w]["ran"]) for w in WORKER_COUNTS], "{:>9d}")
    row("combinations run by the idlest worker", [min(runs[w]["ran"]) for w in WORKER_COUNTS], "{:>9d}")
    row("server transactions per combination", [runs[w]["xacts"] / JOBS for w in WORKER_COUNTS])
    print(f"1-worker overhead = (wall - {nominal:.0f} s) / {JOBS} = {(one - nominal) / JOBS * 1e3:.2f} ms")
    print("target: overhead <= 2 ms per combination: "
          + ", ".join(f"{w} worker{'s' if w > 1 else ''} {overhead[w]:.2f} ms {verdict(overhead[w] <= 2.0)}"
                     for w in WORKER_COUNTS))
    speedup = one / runs[8]["wall"]
    print(f"target: 8 workers >= 6x faster than 1 ({speedup:.1f}x): {verdict(speedup >= 6.0)}")
    together = {w: (runs[w]["together"] * w - nominal) / JOBS * 1e3 for w in WORKER_COUNTS}
    print("from the common go (interpreter start-up and opening excluded): overhead "
          + ", ".join(f"{w}: {together[w]:.2f} ms" for w in WORKER_COUNTS)
          + f"; 8 workers {runs[1]['together'] / runs[8]['together']:.1f}x faster than 1")
    print(f"(every combination ran exactly once in each scenario; {os.cpu_count()} cores, "
          f"load average {load:.2f} at the start; {time.perf_counter() - began:.0f} s in all)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3])
    else:
        main()
