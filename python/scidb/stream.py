"""The child's side of SciDB's ``stream()`` operator, a drop-in for the
``scidbstrm`` package (scidb-strm)::

    import scidb.stream as scidbstrm

    scidbstrm.map(lambda df: pandas.DataFrame({"count": [len(df)]}))

SciDB writes array chunks to the child's stdin and reads its answers from
stdout, so stdout carries the protocol only: log with :func:`debug` (to
stderr). The framing, the checks and the type mapping (SciDB-Py's null
promotion: integer columns holding nulls arrive as float64 with NaN,
missing text as None) are done by the scidb library; see docs/stream.md.

The module-level functions speak the Arrow format (the plugin's
``format:'feather'``) on stdin and stdout, as scidbstrm does. For the TSV
format or other descriptors, make a :class:`Stream`.
"""

import sys
from ctypes import POINTER, byref, c_int32, c_uint32, c_void_p

from . import _tables
from ._lib import Handle, check, lib

__all__ = [
    "Stream",
    "debug",
    "map",
    "pack_func",
    "python_map",
    "read",
    "read_func",
    "write",
]

ARROW, TSV = 0, 1
_FORMATS = {"arrow": ARROW, "feather": ARROW, "tsv": TSV}
# Flags of scidb_stream_open.
_NAN_IS_NULL = 1
_KEEP_NULL_TYPES = 2

lib.scidb_stream_open.argtypes = [c_int32, c_int32, c_uint32, c_uint32, POINTER(c_void_p)]
lib.scidb_stream_open.restype = c_int32
lib.scidb_stream_free.argtypes = [POINTER(c_void_p)]
lib.scidb_stream_free.restype = None
lib.scidb_stream_read_value.argtypes = [c_void_p, POINTER(c_void_p)]
lib.scidb_stream_read_value.restype = c_int32
lib.scidb_stream_write_value.argtypes = [c_void_p, c_void_p]
lib.scidb_stream_write_value.restype = c_int32

#: The stream command that runs a function uploaded with :func:`pack_func`,
#: for SciDB's ``stream()`` (quoted as the operator expects).
python_map = (
    "'python{}.{} -uc \"import scidb.stream as s; s.map(s.read_func())\"'".format(
        sys.version_info.major, sys.version_info.minor
    )
)


class Stream:
    """One stream exchange on two file descriptors (stdin and stdout by
    default). ``format`` is ``"arrow"`` (also ``"feather"``) or ``"tsv"``.

    TSV chunks arrive as DataFrames of text columns ``a0``, ``a1``, ...
    (``\\N`` cells are None); answers may hold numbers and text. In both
    formats NaN in an answer's float column is sent as null, as pandas
    treats NaN as missing.
    """

    def __init__(self, fd_in=0, fd_out=1, format="arrow", promote_nulls=True):
        if format not in _FORMATS:
            raise ValueError(f"unknown stream format {format!r}; use 'arrow' or 'tsv'")
        flags = _NAN_IS_NULL | (0 if promote_nulls else _KEEP_NULL_TYPES)
        handle = c_void_p()
        check(lib.scidb_stream_open(fd_in, fd_out, _FORMATS[format], flags, byref(handle)))
        self._handle = handle
        self.format = format

    def close(self):
        """Frees the exchange (the descriptors stay open)."""
        if self._handle:
            lib.scidb_stream_free(byref(self._handle))
            self._handle = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def read(self):
        """The next chunk as a pandas DataFrame, or None when SciDB has
        ended the stream (one final :meth:`write` is then due)."""
        out = c_void_p()
        check(lib.scidb_stream_read_value(self._handle, byref(out)))
        if not out.value:
            return None
        chunk = Handle(out.value, lib.scidb_value_free)
        try:
            return _tables.from_value(chunk.ptr)
        finally:
            chunk.close()

    def write(self, df=None):
        """Answers the last chunk (or, after the end, sends the final
        answer); None sends an empty answer. Columns must be numbers
        (sent as int64 or double), str or bytes; the index is not sent."""
        if df is None:
            check(lib.scidb_stream_write_value(self._handle, None))
            return
        answer = Handle(_tables.new_table(_as_frame(df), keep_index=False), lib.scidb_value_free)
        try:
            check(lib.scidb_stream_write_value(self._handle, answer.ptr))
        finally:
            answer.close()

    def map(self, map_fun, finalize_fun=None):
        """Answers every chunk with ``map_fun(df)`` (a DataFrame or None),
        then sends ``finalize_fun()`` (when given) as the final answer."""
        while True:
            df = self.read()
            if df is None:
                break
            self.write(map_fun(df))
        self.write(None if finalize_fun is None else finalize_fun())


def _as_frame(obj):
    import pandas as pd

    if isinstance(obj, pd.DataFrame):
        return obj
    raise TypeError(f"a stream answer is a pandas DataFrame or None, not {type(obj).__name__}")


_default = None


def _stdio():
    """The process's stdin/stdout exchange, opened on first use."""
    global _default
    if _default is None:
        _default = Stream(0, 1, "arrow")
    return _default


def read():
    """Reads a chunk from SciDB (stdin): a pandas DataFrame, or None at the end."""
    return _stdio().read()


def write(df=None):
    """Writes an answer to SciDB (stdout); None is an empty answer."""
    _stdio().write(df)


def map(map_fun, finalize_fun=None):  # noqa: A001 - scidbstrm's name
    """Reads every chunk, answers each with ``map_fun(df)``, then answers
    SciDB's end with ``finalize_fun()`` (or an empty answer)."""
    _stdio().map(map_fun, finalize_fun)


def debug(*args):
    """Writes the arguments, separated by spaces, as one line to stderr
    (SciDB's log for the child), since stdout carries the protocol."""
    sys.stderr.write(" ".join(str(a) for a in args) + "\n")
    sys.stderr.flush()


def _dill():
    try:
        import dill
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "pack_func and read_func need the 'dill' package: pip install dill"
        ) from e
    return dill


def pack_func(func):
    """Serializes ``func`` for upload to SciDB (``upload_data`` of SciDB's
    ``input`` or ``load``) as scidbstrm does: a one-element object array
    holding ``dill.dumps(func, 0)``."""
    import numpy

    return numpy.array([_dill().dumps(func, 0)])


def read_func():
    """Reads a function uploaded with :func:`pack_func`: the first cell of
    the first chunk. Answers that chunk with an empty answer, as SciDB
    expects, and returns the function."""
    df = read()
    if df is None or len(df) == 0 or df.shape[1] == 0:
        raise ValueError("read_func: SciDB sent no chunk holding a packed function")
    func = _dill().loads(df.iloc[0, 0])
    write()
    return func
