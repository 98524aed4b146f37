"""The stream plugin's scenarios through an Octave child (scidb.stream in
matlab/+scidb/+stream), played by tests/stream_harness.py exactly as SciDB
would. Run by `make test-octave`, after the MEX is built."""

import math
import shutil
import sys
from pathlib import Path

import pyarrow as pa
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "tests"))

import stream_harness as h  # noqa: E402

OCTAVE = shutil.which("octave-cli")
pytestmark = pytest.mark.skipif(OCTAVE is None, reason="octave-cli is not installed")


def octave_child(expression):
    setup = f"addpath('{REPO / 'matlab'}'); addpath('{HERE}'); "
    return [OCTAVE or "octave-cli", "--no-gui", "--norc", "--quiet", "--eval", setup + expression]


def batch_with_nulls(n, offset=0):
    """int64, double and string columns with nulls and NaN (no binary:
    the Octave child reads chunks as table values)."""
    return pa.record_batch(
        {
            "i": pa.array([None if k % 7 == 3 else k + offset for k in range(n)], pa.int64()),
            "d": pa.array(
                [None if k % 5 == 1 else (math.nan if k % 11 == 2 else (k + offset) * 0.25) for k in range(n)],
                pa.float64(),
            ),
            "s": pa.array([None if k % 4 == 0 else f"s{k + offset}\t\\n é" for k in range(n)], pa.string()),
        }
    )


def expected_identity(batch):
    """Integers holding nulls come back as double; NaN travels as null."""
    columns = {}
    for field, column in zip(batch.schema, batch.columns):
        if pa.types.is_integer(field.type) and column.null_count:
            column = column.cast(pa.float64())
        if pa.types.is_floating(column.type):
            column = pa.array([None if v is None or v != v else v for v in column.to_pylist()], column.type)
        columns[field.name] = column
    return pa.record_batch(columns)


def test_identity_with_nulls():
    chunks = [batch_with_nulls(50), batch_with_nulls(7, offset=100), batch_with_nulls(1, offset=1)]
    out = h.run(octave_child("scidb.stream.map(@(chunk) chunk)"), [h.arrow_message(c) for c in chunks])
    assert len(out.answers) == 3
    for chunk, answer in zip(chunks, out.answers):
        want = expected_identity(chunk)
        assert answer.schema.names == want.schema.names
        assert [f.type for f in answer.schema] == [f.type for f in want.schema]
        assert answer.to_pylist() == want.to_pylist()
    assert out.final is None
    assert out.returncode == 0


def test_identity_10000_strings_one_null():
    cells = [f"row {i}" for i in range(10_000)]
    cells[4321] = None
    batch = pa.record_batch({"s": pa.array(cells, pa.string())})
    out = h.run(octave_child("scidb.stream.map(@(chunk) chunk)"), [h.arrow_message(batch)])
    assert out.answers[0].to_pylist() == batch.to_pylist()
    assert out.answers[0].column(0).null_count == 1


def test_count_per_chunk():
    sizes = [5, 3, 10]
    batches = [pa.record_batch({"x": pa.array(range(n), pa.int64())}) for n in sizes]
    out = h.run(octave_child("count_child()"), [h.arrow_message(b) for b in batches])
    assert [a.to_pydict() for a in out.answers] == [{"count": [n]} for n in sizes]
    assert out.answers[0].schema.field("count").type == pa.int64()


def test_map_with_finalize_returns_totals():
    def chunk(lo):
        xs = list(range(lo, lo + 5))
        return pa.record_batch(
            {
                "x": pa.array(xs, pa.int64()),
                "y": pa.array([x * 10 + 0.1 for x in xs], pa.float64()),
                "z": pa.array([f"foo{x}" for x in xs], pa.string()),
            }
        )

    out = h.run(octave_child("totals_child()"), [h.arrow_message(chunk(1)), h.arrow_message(chunk(6))])
    rows = [a.to_pylist()[0] for a in out.answers]
    assert [(r["x"], r["info"]) for r in rows] == [(15, "local"), (40, "local")]
    assert rows[0]["y"] == pytest.approx(150.5) and rows[1]["y"] == pytest.approx(400.5)
    final = out.final.to_pylist()[0]
    assert (final["x"], final["info"]) == (55, "total")
    assert final["y"] == pytest.approx(551.0)


def test_tsv_client_answers_one_line_per_chunk():
    chunks = [[["1", None, "nan"], ["2", "a\tb", "1.5"], ["3", "back\\slash", "-2"]], [["x\ny", "", "7"]]]
    out = h.run(octave_child("tsv_child()"), [h.tsv_message(c) for c in chunks], fmt="tsv")
    assert out.answers == [["3"], ["1"]]
    assert out.final == []
    assert b"chunk of 3 rows" in out.stderr


def test_truncated_input_fails_cleanly():
    good = h.arrow_message(pa.record_batch({"x": pa.array([1, 2], pa.int64())}))
    code, out, err = h.run_raw(octave_child("scidb.stream.map(@(chunk) chunk)"), good[:-5])
    assert code != 0
    assert out == b""
    assert b"ended" in err or b"truncated" in err, err
