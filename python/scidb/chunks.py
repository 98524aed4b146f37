"""Chunked values: save an array or DataFrame from a sequence of chunks and
read it back one chunk at a time, never holding it whole (for data larger
than memory, or output streamed from SciDB). Used through
``BaseVariable.save_chunks`` and ``BaseVariable.load_chunks``.

Arrays are joined along their first axis (every chunk has the first one's
dtype and trailing shape); DataFrames by rows (the same columns: numbers,
bool, str or bytes). The library stores chunks of about one million cells
whatever size the given chunks have, so ``load_chunks`` yields chunks of
that size.
"""

import ctypes
from ctypes import POINTER, byref, c_char_p, c_int32, c_uint32, c_uint64, c_void_p

from . import _tables
from ._convert import _is_dataframe, from_value, owned_value, to_value
from ._lib import KIND_ARRAY, RECORD_ID_SIZE, Handle, check, encode, lib
from .exceptions import TypeMismatchError

_P, _PP = c_void_p, POINTER(c_void_p)
for _name, _args in {
    "scidb_chunk_writer_open": [_P, c_char_p, c_char_p, _PP],
    "scidb_chunk_writer_add": [_P, _P],
    "scidb_chunk_writer_finish": [_P, POINTER(ctypes.c_char)],
    "scidb_chunk_reader_open": [_P, c_char_p, c_char_p, _PP],
    "scidb_chunk_reader_open_record": [_P, c_char_p, c_char_p, _PP],
    "scidb_chunk_reader_info": [_P, POINTER(c_uint32), POINTER(c_uint64), POINTER(c_uint64)],
    "scidb_chunk_reader_next": [_P, _PP],
}.items():
    getattr(lib, _name).argtypes = _args
    getattr(lib, _name).restype = c_int32
for _name in ("scidb_chunk_writer_free", "scidb_chunk_reader_free"):
    getattr(lib, _name).argtypes = [_PP]
    getattr(lib, _name).restype = None


def save_chunks(db, variable, chunks, metadata_json):
    """Saves the chunks of an iterable as one value; returns the record id.
    Nothing is saved if the iterable raises or a chunk is refused."""
    out = c_void_p()
    check(lib.scidb_chunk_writer_open(db.ptr, encode(variable, "variable type"), metadata_json, byref(out)))
    writer = Handle(out.value, lib.scidb_chunk_writer_free)
    try:
        for chunk in chunks:
            _add(writer.ptr, chunk)
        rid = ctypes.create_string_buffer(RECORD_ID_SIZE)
        check(lib.scidb_chunk_writer_finish(writer.ptr, rid))
        return rid.value.decode("ascii")
    finally:
        writer.close()


def _add(writer, chunk):
    if _is_dataframe(chunk):
        value = owned_value(_tables.new_table(chunk, keep_index=False))
    else:
        import numpy as np

        if not isinstance(chunk, np.ndarray):
            raise TypeMismatchError(
                f"a chunk is a numpy array or a pandas DataFrame, not {type(chunk).__name__}"
            )
        value = owned_value(to_value(chunk))
    try:
        check(lib.scidb_chunk_writer_add(writer, value.ptr))
    finally:
        value.close()


class ChunkReader:
    """Iterates over a chunked value's chunks: numpy arrays or DataFrames.
    ``n_chunks`` and ``rows`` (all chunks together) are known up front."""

    def __init__(self, db, variable, query_json):
        out = c_void_p()
        check(lib.scidb_chunk_reader_open(db.ptr, encode(variable, "variable type"), query_json, byref(out)))
        self._handle = Handle(out.value, lib.scidb_chunk_reader_free)
        kind, n, rows = c_uint32(), c_uint64(), c_uint64()
        check(lib.scidb_chunk_reader_info(self._handle.ptr, byref(kind), byref(n), byref(rows)))
        self.is_array = kind.value == KIND_ARRAY
        self.n_chunks = n.value
        self.rows = rows.value

    def __len__(self):
        return self.n_chunks

    def __iter__(self):
        try:
            while True:
                chunk = self._next()
                if chunk is None:
                    return
                yield chunk
        finally:
            self._handle.close()

    def _next(self):
        out = c_void_p()
        check(lib.scidb_chunk_reader_next(self._handle.ptr, byref(out)))
        if not out.value:
            return None
        if self.is_array:
            # The array wraps the chunk's memory, freed with the array.
            return from_value(out.value, owned_value(out.value))
        value = owned_value(out.value)
        try:
            return _tables.from_value(value.ptr)
        finally:
            value.close()
