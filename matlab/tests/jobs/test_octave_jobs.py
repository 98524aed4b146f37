"""for_each(..., 'reserve_jobs', true) driven from Octave workers on one
PostgreSQL catalog: every combination runs once; a worker killed with
SIGKILL loses only its unfinished claims. Run by `make test-octave`, after
the MEX is built, when the PostgreSQL test server runs."""

import collections
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "python" / "tests"))

import scidb  # noqa: E402
from catalogs import new_pg_catalog  # noqa: E402

OCTAVE = shutil.which("octave-cli")
SUBJECTS, TRIALS = 10, 20
pytestmark = [
    pytest.mark.skipif(OCTAVE is None, reason="octave-cli is not installed"),
    pytest.mark.skipif(not os.environ.get("SCIDB_TEST_PG_URL"), reason="needs the PostgreSQL test server"),
]


class Raw(scidb.BaseVariable):
    pass


class Doubled(scidb.BaseVariable):
    pass


class Negated(scidb.BaseVariable):
    pass


def seeded(tmp_path):
    url, data = new_pg_catalog(), tmp_path / "data"
    db = scidb.configure_database(url, ["subject", "trial"], data_path=data)
    for s in range(SUBJECTS):
        for t in range(TRIALS):
            Raw.save(np.float64(100 * s + t), subject=s, trial=t)
    db.close()
    return url, data


def workers(n, url, data, log, lease, delay):
    setup = f"addpath('{REPO / 'matlab'}'); addpath('{HERE}'); "
    env = dict(os.environ, SCIDB_JOBS_LOG=str(log), SCIDB_JOBS_DELAY=str(delay))
    return [
        subprocess.Popen(
            [OCTAVE, "--no-gui", "--norc", "--quiet", "--eval", setup + f"jobs_worker('{url}', '{data}', {lease})"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(n)
    ]


def runs(log):
    return [tuple(int(x) for x in line.split()) for line in log.read_text().splitlines()] if log.exists() else []


def check(url, data):
    db = scidb.configure_database(url, ["subject", "trial"], data_path=data)
    try:
        doubled = {(r.metadata["subject"], r.metadata["trial"]): float(r.data) for r in Doubled.load_all()}
        negated = {(r.metadata["subject"], r.metadata["trial"]): float(r.data) for r in Negated.load_all()}
        want = {(s, t): 100.0 * s + t for s in range(SUBJECTS) for t in range(TRIALS)}
        assert doubled == {k: 2 * v for k, v in want.items()}
        assert negated == {k: -v for k, v in want.items()}
        assert set(db.jobs()["status"]) == {"done"}
    finally:
        db.close()


def finish(procs):
    outs = [p.communicate(timeout=600)[0] for p in procs]
    # Octave prints this at every exit; it is harmless.
    assert all(p.returncode == 0 for p in procs), outs


def test_octave_workers_run_every_combination_once(tmp_path):
    url, data = seeded(tmp_path)
    log = tmp_path / "runs.log"
    finish(workers(3, url, data, log, 60, 0))
    ran = collections.Counter((s, t) for _, s, t in runs(log))
    assert len(ran) == SUBJECTS * TRIALS and set(ran.values()) == {1}
    check(url, data)


def test_a_killed_octave_worker_loses_only_its_unfinished_claims(tmp_path):
    url, data = seeded(tmp_path)
    log = tmp_path / "runs.log"
    procs = workers(3, url, data, log, 2, 0.02)
    victim = procs[0]
    deadline = time.monotonic() + 300
    while sum(1 for pid, _, _ in runs(log) if pid == victim.pid) < 20:
        assert time.monotonic() < deadline and victim.poll() is None
        time.sleep(0.01)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    finish(procs[1:])
    all_runs = runs(log)
    ran = collections.Counter((s, t) for _, s, t in all_runs)
    assert len(ran) == SUBJECTS * TRIALS
    extra = {k for k, n in ran.items() if n > 1}
    assert extra <= {(s, t) for pid, s, t in all_runs if pid == victim.pid}
    assert sum(ran.values()) - SUBJECTS * TRIALS == len(extra) <= 16
    check(url, data)
