"""The stream plugin's scenarios, played by tests/stream_harness.py against
our Python child (scidb.stream) and our C child (tests/c/stream_child.c)."""

import math
import shlex
import subprocess
import sys

import pyarrow as pa
import pytest

import stream_harness as h

IDENTITY_PY = "import scidb.stream as scidbstrm\nscidbstrm.map(lambda df: df)"
READ_WRITE_PY = """
import scidb.stream as scidbstrm
while True:
    df = scidbstrm.read()
    if df is None:
        break
    scidbstrm.write(df)
scidbstrm.write()
"""
COUNT_PY = (
    "import pandas, scidb.stream as scidbstrm\n"
    "scidbstrm.map(lambda df: pandas.DataFrame({'count': [len(df)]}))"
)
# The plugin's 1-map-finalize.py example: local sums, then the total.
FINALIZE_PY = """
import pandas, scidb.stream as scidbstrm
total = {"x": 0, "y": 0.0}
def map_fun(df):
    x, y = int(df["x"].sum()), float(df["y"].sum())
    total["x"] += x
    total["y"] += y
    return pandas.DataFrame({"x": [x], "y": [y], "info": ["local"]})
def finalize_fun():
    return pandas.DataFrame({"x": [total["x"]], "y": [total["y"]], "info": ["total"]})
scidbstrm.map(map_fun, finalize_fun)
"""
TSV_PY = """
import pandas, scidb.stream
s = scidb.stream.Stream(format="tsv")
s.map(lambda df: pandas.DataFrame({"n": [len(df)], "first": [df.iloc[0, 0]]}))
"""


def mixed_batch(n, offset=0):
    """int64, double, string and binary columns with nulls (and NaN)."""
    ints = [None if i % 7 == 3 else i + offset for i in range(n)]
    doubles = [
        None if i % 5 == 1 else (math.nan if i % 11 == 2 else (i + offset) * 0.25)
        for i in range(n)
    ]
    strings = [None if i % 4 == 0 else f"s{i + offset}\t\\n é" for i in range(n)]
    binary = [None if i % 6 == 5 else bytes([i % 256, 0, 255, 10]) for i in range(n)]
    return pa.record_batch(
        {
            "i": pa.array(ints, pa.int64()),
            "d": pa.array(doubles, pa.float64()),
            "s": pa.array(strings, pa.string()),
            "b": pa.array(binary, pa.binary()),
        }
    )


def expected_identity(batch, nan_as_null):
    """What an identity child must answer, by the type table of
    docs/stream.md: integers holding nulls come back as double; with
    NaN-as-null (pandas children) NaN cells come back as nulls."""
    columns = {}
    for field, column in zip(batch.schema, batch.columns):
        if pa.types.is_integer(field.type) and column.null_count:
            column = column.cast(pa.float64())
        if nan_as_null and pa.types.is_floating(field.type):
            values = column.to_pylist()
            column = pa.array(
                [None if v is None or v != v else v for v in values], column.type
            )
        columns[field.name] = column
    return pa.record_batch(columns)


def same(a, b):
    """Equal schemas (types) and cells, NaN equal to NaN."""
    assert a is not None and b is not None
    assert [f.type for f in a.schema] == [f.type for f in b.schema], (a.schema, b.schema)
    assert a.schema.names == b.schema.names
    for x, y in zip(a.to_pylist(), b.to_pylist()):
        for k in x:
            u, v = x[k], y[k]
            if isinstance(u, float) and isinstance(v, float) and u != u and v != v:
                continue
            assert u == v, (k, u, v)
    assert a.num_rows == b.num_rows


def children(py_child, c_child):
    return {
        "python-map": (py_child(IDENTITY_PY), True),
        "python-read-write": (py_child(READ_WRITE_PY), True),
        "c-map": (c_child + ["identity"], False),
        "c-read-write": (c_child + ["readwrite"], False),
    }


@pytest.mark.parametrize("which", ["python-map", "python-read-write", "c-map", "c-read-write"])
def test_identity_with_nulls(which, py_child, c_child):
    argv, nan_as_null = children(py_child, c_child)[which]
    chunks = [mixed_batch(50), mixed_batch(7, offset=100), mixed_batch(1, offset=1)]
    out = h.run(argv, [h.arrow_message(c) for c in chunks])
    assert len(out.answers) == 3
    for chunk, answer in zip(chunks, out.answers):
        same(answer, expected_identity(chunk, nan_as_null))
    assert out.final is None


def test_identity_through_table_values_c(c_child):
    # The read/write path a MATLAB gateway takes: chunks as table values.
    chunks = [mixed_batch(30).drop_columns(["b"]), mixed_batch(4, offset=9).drop_columns(["b"])]
    out = h.run(c_child + ["values"], [h.arrow_message(c) for c in chunks])
    for chunk, answer in zip(chunks, out.answers):
        same(answer, expected_identity(chunk, nan_as_null=False))


@pytest.mark.parametrize("which", ["python-map", "c-map"])
def test_identity_10000_strings_one_null(which, py_child, c_child):
    argv, nan_as_null = children(py_child, c_child)[which]
    cells = [f"row {i}" for i in range(10_000)]
    cells[4321] = None
    batch = pa.record_batch({"s": pa.array(cells, pa.string())})
    out = h.run(argv, [h.arrow_message(batch)])
    same(out.answers[0], batch)
    assert out.answers[0].column(0).null_count == 1
    assert out.answers[0].column(0)[4321].as_py() is None


@pytest.mark.parametrize("which", ["python", "c"])
def test_count_per_chunk(which, py_child, c_child):
    argv = py_child(COUNT_PY) if which == "python" else c_child + ["count"]
    sizes = [5, 3, 10]
    batches = [pa.record_batch({"x": pa.array(range(n), pa.int64())}) for n in sizes]
    out = h.run(argv, [h.arrow_message(b) for b in batches])
    assert [a.to_pydict() for a in out.answers] == [{"count": [n]} for n in sizes]
    assert out.answers[0].schema.field("count").type == pa.int64()
    assert out.final is None


def sums_input():
    """The plugin example's array: x = 1..10, y = 10x + .1, z = 'foo' + x,
    in two chunks of five."""
    def chunk(lo):
        xs = list(range(lo, lo + 5))
        return pa.record_batch(
            {
                "x": pa.array(xs, pa.int64()),
                "y": pa.array([x * 10 + 0.1 for x in xs], pa.float64()),
                "z": pa.array([f"foo{x}" for x in xs], pa.string()),
            }
        )

    return [chunk(1), chunk(6)]


def test_map_with_finalize_returns_totals_python(py_child):
    out = h.run(py_child(FINALIZE_PY), [h.arrow_message(c) for c in sums_input()])
    rows = [a.to_pylist()[0] for a in out.answers]
    assert [(r["x"], r["info"]) for r in rows] == [(15, "local"), (40, "local")]
    assert rows[0]["y"] == pytest.approx(150.5) and rows[1]["y"] == pytest.approx(400.5)
    final = out.final.to_pylist()
    assert final[0]["x"] == 55 and final[0]["info"] == "total"
    assert final[0]["y"] == pytest.approx(551.0)


def test_map_with_finalize_returns_totals_c(c_child):
    out = h.run(c_child + ["totals"], [h.arrow_message(c) for c in sums_input()])
    assert [a.to_pydict() for a in out.answers] == [{"count": [5]}, {"count": [5]}]
    assert out.final.to_pydict() == {"total": [10]}


def tsv_chunks():
    return [
        [["1", None, "nan"], ["2", "a\tb", "1.5"], ["3", "back\\slash", "-2"]],
        [["x\ny", "", "7"]],
    ]


def test_tsv_client_answers_one_line_per_chunk_python(py_child):
    out = h.run(py_child(TSV_PY), [h.tsv_message(c) for c in tsv_chunks()], fmt="tsv")
    assert out.answers == [["3\t1"], ["1\tx\\ny"]]
    assert out.final == []


def test_tsv_client_answers_one_line_per_chunk_c(c_child):
    out = h.run(c_child + ["tsv-count"], [h.tsv_message(c) for c in tsv_chunks()], fmt="tsv")
    assert out.answers == [["3"], ["1"]]
    assert out.final == []


def test_tsv_identity_keeps_nulls_escapes_and_nan_text(py_child):
    code = "import scidb.stream\nscidb.stream.Stream(format='tsv').map(lambda df: df)"
    messages = [h.tsv_message(c) for c in tsv_chunks()]
    out = h.run(py_child(code), messages, fmt="tsv")
    for message, answer in zip(messages, out.answers):
        assert message.decode("utf-8").split("\n")[1:-1] == answer


def pack_in(python, packer_module, body):
    """The bytes `packer_module`.pack_func makes of a __main__ function
    `f` defined by `body`, packed by `python` (as a client script does)."""
    code = (
        f"import sys, {packer_module} as m\n{body}\n"
        "sys.stdout.buffer.write(m.pack_func(f)[0])"
    )
    return subprocess.run([python, "-c", code], check=True, capture_output=True).stdout


def python_map_argv():
    """Our python_map command, with this test's interpreter."""
    import scidb.stream

    argv = shlex.split(scidb.stream.python_map[1:-1])
    return [sys.executable] + argv[1:]


def test_pack_func_read_func_round_trip():
    func = pack_in(sys.executable, "scidb.stream", "def f(df):\n    return df.head(1) * 2")
    data = pa.record_batch({"x": pa.array([3.0, 4.0, 5.0])})
    upload = pa.record_batch({"x": pa.array([func], pa.binary())})
    out = h.run(python_map_argv(), [h.arrow_message(upload), h.arrow_message(data)])
    assert out.answers[0] is None  # read_func answers the function's chunk empty
    assert out.answers[1].to_pydict() == {"x": [6.0]}
    assert out.final is None


def test_read_func_loads_what_scidbstrm_packed(strm_python):
    func = pack_in(strm_python, "scidbstrm", "def f(df):\n    return df.tail(1)")
    upload = pa.record_batch({"x": pa.array([func], pa.binary())})
    data = pa.record_batch({"v": pa.array([1, 2, 3], pa.int64())})
    out = h.run(python_map_argv(), [h.arrow_message(upload), h.arrow_message(data)])
    assert out.answers[1].to_pydict() == {"v": [3]}


def test_debug_writes_to_stderr_only(py_child):
    code = "import scidb.stream as s\ns.debug('value of i is', 10)\ns.map(lambda df: None)"
    out = h.run(py_child(code), [h.arrow_message(pa.record_batch({"x": pa.array([1])}))])
    assert out.answers == [None]
    assert b"value of i is 10\n" in out.stderr
