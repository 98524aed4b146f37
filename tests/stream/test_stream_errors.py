"""Truncated or corrupt input makes a child fail fast, with a message on
stderr and a non-zero exit, never a hang; and the harness itself refuses
answers SciDB would refuse."""

import struct

import pyarrow as pa
import pytest

import stream_harness as h

IDENTITY_PY = "import scidb.stream as s\ns.map(lambda df: df)"
TSV_PY = "import scidb.stream as s\ns.Stream(format='tsv').map(lambda df: df)"


def one_chunk():
    return h.arrow_message(pa.record_batch({"x": pa.array([1.0, 2.0])}))


def two_batches():
    batch = pa.record_batch({"x": pa.array([1, 2], pa.int64())})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as w:
        w.write_batch(batch)
        w.write_batch(batch)
    body = sink.getvalue().to_pybytes()
    return struct.pack("<Q", len(body)) + body


ARROW_CASES = {
    "short length": (b"\x05\x00\x00", "ended after 3 of the 8 bytes of chunk 1's length"),
    "short body": (struct.pack("<Q", 1000) + b"x" * 10, "ended after 10 of the 1000 bytes of chunk 1"),
    "bad arrow bytes": (struct.pack("<Q", 64) + b"\x42" * 64, "chunk 1 is not a valid Arrow IPC stream"),
    "cut arrow stream": (
        struct.pack("<Q", len(one_chunk()) - 8 - 24) + one_chunk()[8:-24],
        "chunk 1 is not a valid Arrow IPC stream",
    ),
    "two batches": (two_batches(), "chunk 1 holds 2 record batches"),
    "no end marker": (one_chunk(), "the input ended before chunk 2's length"),
}


@pytest.mark.parametrize("case", sorted(ARROW_CASES))
@pytest.mark.parametrize("which", ["python", "c"])
def test_bad_arrow_input_fails_fast(case, which, py_child, c_child):
    data, message = ARROW_CASES[case]
    argv = py_child(IDENTITY_PY) if which == "python" else c_child + ["identity"]
    code, _, stderr = h.run_raw(argv, data, timeout=30)
    assert code != 0
    assert message in stderr.decode("utf-8", "replace"), stderr


TSV_CASES = {
    "missing lines": (b"3\na\nb\n", "ended after 2 of the 3 lines of chunk 1"),
    "bad count": (b"three\na\n", "chunk 1's line count is not a number"),
    "cut count": (b"1\na\n12", "the input ended inside chunk 2's line count"),
}


@pytest.mark.parametrize("case", sorted(TSV_CASES))
@pytest.mark.parametrize("which", ["python", "c"])
def test_bad_tsv_input_fails_fast(case, which, py_child, c_child):
    data, message = TSV_CASES[case]
    argv = py_child(TSV_PY) if which == "python" else c_child + ["tsv-count"]
    code, _, stderr = h.run_raw(argv, data, timeout=30)
    assert code != 0
    assert message in stderr.decode("utf-8", "replace"), stderr


def test_reading_twice_without_answering_is_an_error(py_child):
    code = "import scidb.stream as s\ns.read()\ns.read()"
    data = one_chunk() + one_chunk()
    code, _, stderr = h.run_raw(py_child(code), data, timeout=30)
    assert code != 0
    assert b"chunk 1 has not been answered" in stderr


def test_harness_refuses_an_answer_with_two_batches(py_child):
    # A child that answers with two record batches in one message.
    body = two_batches()
    code = (
        "import sys, struct\n"
        "n = struct.unpack('<Q', sys.stdin.buffer.read(8))[0]\n"
        "sys.stdin.buffer.read(n)\n"
        f"sys.stdout.buffer.write({body!r}); sys.stdout.flush()\n"
    )
    with pytest.raises(h.ProtocolError, match="holds 2 record batches"):
        h.run(py_child(code), [one_chunk()], timeout=30)


def test_harness_times_out_on_a_silent_child(py_child):
    with pytest.raises(h.ProtocolError, match="timed out"):
        h.run(py_child("import time\ntime.sleep(60)"), [one_chunk()], timeout=2)
