"""Parity with the original: the harness drives PyPI's scidb-strm (in its
own environment, see conftest.py) and scidb.stream with the same script
over the same input bytes, and the decoded answers must be equal."""

import pyarrow as pa
import pytest

import stream_harness as h
from test_stream_scenarios import FINALIZE_PY, mixed_batch, same, sums_input

SCRIPTS = {
    "identity": "import scidbstrm\nscidbstrm.map(lambda df: df)",
    "count": (
        "import pandas, scidbstrm\n"
        "scidbstrm.map(lambda df: pandas.DataFrame({'count': [len(df)]}))"
    ),
    "head": "import scidbstrm\nscidbstrm.map(lambda df: df.head(2))",
    "finalize": FINALIZE_PY.replace("scidb.stream as scidbstrm", "scidbstrm"),
    "read-write": (
        "import scidbstrm\n"
        "while True:\n"
        "    df = scidbstrm.read()\n"
        "    if df is None:\n"
        "        break\n"
        "    scidbstrm.write(df)\n"
        "scidbstrm.write()\n"
    ),
}


def inputs(name):
    if name == "finalize":
        return sums_input()
    strings = pa.record_batch({"s": pa.array([None] + [f"v{i}" for i in range(9_999)])})
    return [mixed_batch(40), mixed_batch(9, offset=7), strings]


def ours(script):
    """The same script against scidb.stream, imported under scidbstrm's name."""
    return script.replace("import scidbstrm", "import scidb.stream as scidbstrm").replace(
        "import pandas, scidbstrm", "import pandas, scidb.stream as scidbstrm"
    )


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_answers_equal_scidbstrm(name, strm_python):
    import sys

    messages = [h.arrow_message(b) for b in inputs(name)]
    reference = h.run([strm_python, "-c", SCRIPTS[name]], messages)
    mine = h.run([sys.executable, "-c", ours(SCRIPTS[name])], messages)
    assert len(reference.answers) == len(mine.answers) == len(messages)
    for theirs, our in zip(reference.answers + [reference.final], mine.answers + [mine.final]):
        if theirs is None:
            assert our is None
        else:
            same(our, theirs)
