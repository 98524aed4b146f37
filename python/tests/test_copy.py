"""`scidb copy`: the seed pipeline's DuckDB file moved into a PostgreSQL
catalog; every record, version and provenance chain equal afterwards."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import scidb
from catalogs import new_pg_catalog

ROOT = pathlib.Path(__file__).resolve().parents[2]
VARIABLES = ["RawKinematicData", "StepLength", "MeanStepLength", "RawForce", "FilteredForce"]

needs_pg = pytest.mark.skipif(not os.environ.get("SCIDB_TEST_PG_URL"), reason="needs the PostgreSQL test server")


def scidb_program():
    lib = os.environ.get("SCIDB_LIBRARY")
    if lib:
        return pathlib.Path(lib).with_name("scidb")
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "scidb"


def snapshot(path, keys, data_path=None):
    """Every version of every variable type, in order, with its value and
    upstream provenance."""
    db = scidb.configure_database(path, keys, data_path=data_path)
    try:
        out = {}
        for name in VARIABLES:
            versions = db.version_records(name, {}).info()
            entries = []
            for info in versions:
                value = db.record_by_id(name, info["record_id"]).values()[0]
                upstream = db.get_upstream_provenance(name, version=info["record_id"])
                entries.append((info["record_id"], info["content_hash"], info["metadata"],
                                info["saved_at"], repr(np.asarray(value).tolist()), json.dumps(upstream)))
            out[name] = entries
        runs = db.run_log()
        return out, len(runs)
    finally:
        db.close()


@needs_pg
def test_copy_of_the_seed_pipeline_to_postgresql_is_equal(tmp_path):
    src = tmp_path / "gait_study.duckdb"
    subprocess.run([sys.executable, str(ROOT / "examples" / "pipeline.py"), str(src)], check=True,
                   capture_output=True, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    dst = new_pg_catalog()
    copied = subprocess.run([str(scidb_program()), "copy", str(src), dst, "--data-path", str(tmp_path / "lab"),
                             "--json"], check=True, capture_output=True, text=True)
    report = json.loads(copied.stdout)
    assert report["records"] > 0 and report["verified"] == report["records"]
    assert report["lineage_rows"] > 0 and report["runs"] > 0
    keys = ["subject", "session", "trial"]
    before, runs_before = snapshot(src, keys)
    after, runs_after = snapshot(dst, keys)
    assert sum(len(v) for v in before.values()) == report["records"]
    assert before == after
    assert runs_before == runs_after > 0
    # The password is in neither the output nor an error.
    password = os.environ["SCIDB_TEST_PG_PASSWORD"]
    assert password not in copied.stdout + copied.stderr


@needs_pg
def test_copy_refuses_a_destination_with_records(tmp_path):
    src = tmp_path / "a.duckdb"
    db = scidb.configure_database(src, ["subject"])
    scidb.BaseVariable  # noqa: B018 (the API is imported)
    db.close()
    dst = new_pg_catalog()
    other = scidb.configure_database(dst, ["subject"], data_path=tmp_path / "d")

    class Thing(scidb.BaseVariable):
        pass

    Thing.save(1.0, subject=1)
    other.close()
    run = subprocess.run([str(scidb_program()), "copy", str(src), dst], capture_output=True, text=True)
    assert run.returncode != 0
    assert "already has records" in run.stderr
    assert os.environ["SCIDB_TEST_PG_PASSWORD"] not in run.stderr


class Thing(scidb.BaseVariable):
    pass


def test_copy_to_is_a_library_call(db, tmp_path):
    src = scidb.Database(tmp_path / "src.duckdb", ["subject", "session"])
    src.save("Thing", np.arange(3.0), {"subject": 1, "session": "a"})
    src.save("Thing", np.arange(4.0), {"subject": 1, "session": "a"})
    report = src.copy_to(db)
    src.close()
    assert report["records"] == report["verified"] == 2
    assert Thing.load(subject=1, session="a").data.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert len(Thing.list_versions(subject=1, session="a")) == 2
