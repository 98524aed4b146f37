"""Each variable type's SQL view reads with plain duckdb (a DuckDB file) or
psycopg (a PostgreSQL catalog, as psql reads it), no scidb involved."""

import datetime
import decimal
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd

from catalogs import reopen_url
from scidb import BaseVariable


class MaxActivation(BaseVariable):
    pass


class RawEMG(BaseVariable):
    pass


class Steps(BaseVariable):
    pass


class Mixed(BaseVariable):
    pass


def read_view(path, sql):
    """Runs SQL in a fresh interpreter that never imports scidb."""
    url = reopen_url(path)
    if str(url).startswith("postgresql://"):
        connect = f"import psycopg; con = psycopg.connect({url!r})"
    else:
        connect = f"import duckdb; con = duckdb.connect({str(url)!r}, read_only=True)"
    code = textwrap.dedent(
        f"""
        import sys
        {connect}
        assert "scidb" not in sys.modules
        cur = con.execute({sql!r})
        print(repr([tuple(r) for r in cur.fetchall()]))
        print(repr([d[0] for d in cur.description]))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    rows, cols = out.stdout.strip().splitlines()
    # psycopg gives NUMERIC as Decimal and timestamps as datetime.
    names = {"Decimal": decimal.Decimal, "datetime": datetime}
    return eval(rows, names), eval(cols)


def test_views_show_native_sql_types(db, catalog):
    for subject, session, value in [(1, "baseline", 0.82), (1, "post", 1.47), (2, "baseline", 0.91)]:
        MaxActivation.save(value, subject=subject, session=session)
    MaxActivation.save(0.99, subject=2, session="baseline")  # newer version replaces 0.91
    RawEMG.save(np.array([1.0, -2.5, 3.25]), subject=1, session="baseline")
    Steps.save(pd.DataFrame({"step": [1, 2], "length": [0.61, 0.64]}), subject=1, session="pre", trial_set="A")
    Mixed.save(np.int32(3), subject=1, session="a")
    Mixed.save(2.5, subject=2, session="a")
    Steps.save(pd.DataFrame({"step": [3], "raw": [b"\x00\x01"]}), subject=2, session="pre")
    path = db.path
    db.close()

    rows, cols = read_view(path, "SELECT subject, session, value FROM MaxActivation ORDER BY subject, session")
    assert rows == [(1, "baseline", 0.82), (1, "post", 1.47), (2, "baseline", 0.99)]
    assert cols == ["subject", "session", "value"]
    rows, _ = read_view(path, "SELECT value FROM RawEMG")
    assert rows == [([1.0, -2.5, 3.25],)]
    rows, cols = read_view(path, "SELECT subject, session, trial_set, step, length FROM Steps ORDER BY step")
    assert rows == [(1, "pre", "A", 1, 0.61), (1, "pre", "A", 2, 0.64), (2, "pre", None, 3, None)]
    # Binary cells are BLOB (DuckDB) / bytea (PostgreSQL) cells.
    rows, _ = read_view(path, "SELECT raw FROM Steps WHERE step = 3")
    assert bytes(rows[0][0]) == b"\x00\x01"
    rows, _ = read_view(path, "SELECT value FROM Mixed ORDER BY subject")
    assert rows == [(3.0,), (2.5,)]
    if catalog == "duckdb":
        rows, _ = read_view(path, "SELECT typeof(subject), typeof(value) FROM MaxActivation LIMIT 1")
        assert rows == [("BIGINT", "DOUBLE")]
    else:
        # Integer keys are NUMERIC on PostgreSQL: any 64-bit value fits.
        rows, _ = read_view(path, "SELECT pg_typeof(subject)::text, pg_typeof(value)::text FROM MaxActivation LIMIT 1")
        assert rows == [("numeric", "double precision")]
