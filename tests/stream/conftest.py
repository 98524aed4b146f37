"""Fixtures for the stream protocol tests: the C child (compiled once per
session under AddressSanitizer), the reference scidb-strm interpreter, and
Python children running scidb.stream."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
REPO = TESTS.parent
sys.path.insert(0, str(TESTS))

# scidb-strm 19.11.4 pins pyarrow<=11, which needs numpy<2: it cannot share
# this environment, so it gets its own (created on first use, then reused).
STRM_VENV = Path(os.environ.get("SCIDB_STRM_VENV", "/var/tmp/scidb-strm-ref-venv"))
STRM_PACKAGES = ["scidb-strm==19.11.4", "numpy<2", "pandas<2.2"]


@pytest.fixture(scope="session")
def c_child(tmp_path_factory):
    """argv prefix of tests/c/stream_child.c, built with -Werror under ASan
    against the library this Python package loads."""
    import scidb._lib

    given = os.environ.get("SCIDB_STREAM_C_CHILD")
    if given:
        return [given]
    lib_dir = str(Path(scidb._lib.lib._name).resolve().parent)
    exe = tmp_path_factory.mktemp("c") / "stream_child"
    subprocess.run(
        [
            "gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-g",
            "-fsanitize=address,undefined", "-fno-omit-frame-pointer",
            f"-I{REPO / 'include'}", str(TESTS / "c" / "stream_child.c"),
            "-o", str(exe), f"-L{lib_dir}", "-lscidb", f"-Wl,-rpath,{lib_dir}",
        ],
        check=True,
    )
    return [str(exe)]


@pytest.fixture(scope="session")
def strm_python():
    """The interpreter of the reference scidb-strm environment."""
    given = os.environ.get("SCIDB_STRM_PYTHON")
    if given:
        return given
    py = STRM_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(STRM_VENV)], check=True)
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", *STRM_PACKAGES],
            check=True,
        )
    return str(py)


@pytest.fixture(scope="session")
def py_child():
    """Makes the argv of a Python child running `code` with this interpreter."""
    return lambda code: [sys.executable, "-c", code]
