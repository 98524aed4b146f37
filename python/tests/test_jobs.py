"""for_each(reserve_jobs=True): processes sharing one run's combinations on
a PostgreSQL catalog, including a worker killed mid-run."""

import collections
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import scidb
from catalogs import new_pg_catalog

WORKER = pathlib.Path(__file__).with_name("jobs_worker.py")
SUBJECTS, TRIALS = 20, 20

pytestmark = pytest.mark.skipif(
    not os.environ.get("SCIDB_TEST_PG_URL"), reason="needs the PostgreSQL test server"
)


class Raw(scidb.BaseVariable):
    pass


class Doubled(scidb.BaseVariable):
    pass


class Negated(scidb.BaseVariable):
    pass


def seeded_catalog(tmp_path):
    """A catalog with Raw at 20 subjects x 20 trials (value 100*subject + trial)."""
    url = new_pg_catalog()
    data = tmp_path / "data"
    db = scidb.configure_database(url, ["subject", "trial"], data_path=data)
    for s in range(SUBJECTS):
        for t in range(TRIALS):
            Raw.save(np.float64(100 * s + t), subject=s, trial=t)
    db.close()
    return url, data


def start_workers(n, url, data, log, lease=60.0, delay=0.0):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return [
        subprocess.Popen(
            [sys.executable, str(WORKER), url, str(data), str(log), str(lease), str(delay)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]


def executions(log):
    """(pid, subject, trial) for every time the function ran."""
    if not log.exists():
        return []
    return [tuple(int(x) for x in line.split()) for line in log.read_text().splitlines()]


def check_outputs(url, data):
    db = scidb.configure_database(url, ["subject", "trial"], data_path=data)
    try:
        doubled = {(r.metadata["subject"], r.metadata["trial"]): float(r.data) for r in Doubled.load_all()}
        negated = {(r.metadata["subject"], r.metadata["trial"]): float(r.data) for r in Negated.load_all()}
        expected = {(s, t): 100.0 * s + t for s in range(SUBJECTS) for t in range(TRIALS)}
        assert doubled == {k: 2 * v for k, v in expected.items()}
        assert negated == {k: -v for k, v in expected.items()}
        jobs = db.jobs()
        assert len(jobs) == SUBJECTS * TRIALS
        assert set(jobs["status"]) == {"done"}
        return jobs
    finally:
        db.close()


def test_four_processes_run_every_combination_exactly_once(tmp_path):
    url, data = seeded_catalog(tmp_path)
    log = tmp_path / "executions.log"
    # 400 x 10 ms: long enough that every worker has started before the work is gone.
    workers = start_workers(4, url, data, log, delay=0.01)
    outs = [w.communicate(timeout=300)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers), outs
    ran = collections.Counter((s, t) for _, s, t in executions(log))
    assert len(ran) == SUBJECTS * TRIALS
    assert set(ran.values()) == {1}
    # The work was shared: more than one process ran combinations.
    assert len({pid for pid, _, _ in executions(log)}) > 1
    check_outputs(url, data)


def test_a_killed_worker_loses_only_its_unfinished_claims(tmp_path):
    url, data = seeded_catalog(tmp_path)
    log = tmp_path / "executions.log"
    workers = start_workers(4, url, data, log, lease=2.0, delay=0.02)
    victim = workers[0]
    deadline = time.monotonic() + 120
    while sum(1 for pid, _, _ in executions(log) if pid == victim.pid) < 20:
        assert time.monotonic() < deadline, "the first worker never ran 20 combinations"
        assert victim.poll() is None, "the first worker ended before it was killed"
        time.sleep(0.01)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    outs = [w.communicate(timeout=300)[0] for w in workers[1:]]
    assert all(w.returncode == 0 for w in workers[1:]), outs
    runs = executions(log)
    ran = collections.Counter((s, t) for _, s, t in runs)
    assert len(ran) == SUBJECTS * TRIALS, "a combination never ran"
    extra = {k for k, n in ran.items() if n > 1}
    killed = {(s, t) for pid, s, t in runs if pid == victim.pid}
    # Beyond 400, only what the killed worker ran and never saved ran again.
    assert extra <= killed
    assert sum(ran.values()) - SUBJECTS * TRIALS == len(extra)
    assert len(extra) <= 16
    check_outputs(url, data)


def test_reserve_jobs_on_a_duckdb_file_runs_as_usual(tmp_path):
    scidb.configure_database(tmp_path / "one.duckdb", ["subject", "trial"])
    Raw.save(np.float64(3), subject=1, trial=1)

    def triple(x):
        return float(np.asarray(x)) * 3

    df = scidb.for_each(triple, inputs={"x": Raw}, outputs=[Doubled], reserve_jobs=True, quiet=True,
                        subject=[], trial=[])
    assert list(df["status"]) == ["ran"]
    assert float(Doubled.load(subject=1, trial=1).data) == 9.0
    assert scidb.get_database().jobs().empty


def test_identical_calls_at_other_metadata_are_all_saved(tmp_path):
    # Equal inputs at four trials: one call, one job; every trial gets its record.
    url = new_pg_catalog()
    db = scidb.configure_database(url, ["subject", "trial"], data_path=tmp_path / "data")
    for t in range(4):
        Raw.save(np.float64(7), subject=1, trial=t)

    def triple(x):
        return float(np.asarray(x)) * 3

    dry = scidb.for_each(triple, inputs={"x": Raw}, outputs=[Doubled], reserve_jobs=True, dry_run=True,
                         quiet=True, subject=[], trial=[])
    assert list(dry["status"]) == ["to_run"] * 4
    assert db.jobs().empty, "a dry run adds no jobs"
    df = scidb.for_each(triple, inputs={"x": Raw}, outputs=[Doubled], reserve_jobs=True, quiet=True,
                        subject=[], trial=[])
    assert sorted(df["status"]) == ["cached", "cached", "cached", "ran"]
    assert sorted(r.metadata["trial"] for r in Doubled.load_all()) == [0, 1, 2, 3]
    assert all(float(r.data) == 21.0 for r in Doubled.load_all())
    assert list(db.jobs()["status"]) == ["done"]
    db.close()
