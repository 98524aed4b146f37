"""pandas DataFrames to and from the library through pyarrow and the Arrow
PyCapsule interface (``__arrow_c_stream__``, an ``ArrowArrayStream``).

A DataFrame becomes a pyarrow record batch (numeric columns without a
copy), whose stream the library takes over, keeping pyarrow's buffers; a
loaded table comes back as a stream of the library's buffers, which pyarrow
imports without a copy and pandas then converts.

Columns may be bool, int8..int64, uint8..uint64, float32, float64 (numpy
dtypes or pandas' nullable Int*/UInt*/Float*/boolean), text (object or
pandas string columns holding str and missing cells) or binary (object
columns holding bytes and missing cells).
"""

import ctypes
from ctypes import byref, c_char_p, c_size_t, c_void_p, py_object

import numpy as np
import pyarrow as pa

from ._lib import check, lib
from .exceptions import TypeMismatchError

_P, _PP = c_void_p, ctypes.POINTER(c_void_p)
for _name, _args in {
    "scidb_value_new_table_from_arrow_stream": [_P, _PP],
    "scidb_value_table_to_arrow_stream": [_P, _P],
    "scidb_value_new_table": [c_size_t, _PP],
    "scidb_value_table_shape": [_P, ctypes.POINTER(c_size_t), ctypes.POINTER(c_size_t)],
}.items():
    getattr(lib, _name).argtypes = _args
    getattr(lib, _name).restype = ctypes.c_int32
lib.scidb_arrow_stream_new.argtypes = []
lib.scidb_arrow_stream_new.restype = c_void_p
lib.scidb_arrow_stream_free.argtypes = [_PP]
lib.scidb_arrow_stream_free.restype = None

_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.argtypes = [py_object, c_char_p]
_capsule_pointer.restype = c_void_p
_capsule_new = ctypes.pythonapi.PyCapsule_New
_capsule_new.argtypes = [c_void_p, c_char_p, c_void_p]
_capsule_new.restype = py_object

_STREAM = b"arrow_array_stream"

# numpy dtypes a column may have, as Arrow types.
_NUMERIC = {
    np.dtype(np.bool_),
    np.dtype(np.int8),
    np.dtype(np.int16),
    np.dtype(np.int32),
    np.dtype(np.int64),
    np.dtype(np.uint8),
    np.dtype(np.uint16),
    np.dtype(np.uint32),
    np.dtype(np.uint64),
    np.dtype(np.float32),
    np.dtype(np.float64),
}


def _check_frame(df, keep_index):
    import pandas as pd

    names = list(df.columns)
    for n in names:
        if not isinstance(n, str):
            raise TypeMismatchError(
                f"DataFrame column names must be str; column {n!r} is a "
                f"{type(n).__name__} (rename with df.columns = df.columns.astype(str))"
            )
    for n in names:
        if "\x00" in n:
            raise TypeMismatchError(
                f"DataFrame column name {n!r} holds a NUL character, which Arrow's C "
                "interface cannot carry; rename the column"
            )
    if len(set(names)) != len(names):
        raise TypeMismatchError("DataFrame column names must be unique")
    if keep_index and (
        not isinstance(df.index, pd.RangeIndex) or df.index.start != 0 or df.index.step != 1
    ):
        raise TypeMismatchError(
            "scidb stores a DataFrame's columns, not its index; call "
            "df.reset_index() first so the index is kept as a column"
        )
    return names


def to_batch(df, keep_index=True):
    """The DataFrame's columns as a pyarrow RecordBatch (numeric numpy
    columns are wrapped, not copied). ``keep_index=False`` sends the
    columns whatever the index (stream answers, chunks); otherwise an index
    other than 0..n-1 is refused so it is not silently lost."""
    names = _check_frame(df, keep_index)
    arrays = [_column(name, df[name]) for name in names]
    return pa.RecordBatch.from_arrays(arrays, names=names)


def _column(name, series):
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype in _NUMERIC:
        values = series.to_numpy()
        if not values.dtype.isnative:
            values = values.astype(values.dtype.newbyteorder("="))
        return pa.array(values)
    if (
        isinstance(dtype, pd.api.extensions.ExtensionDtype)
        and dtype.kind in "biuf"
        and np.dtype(dtype.numpy_dtype) in _NUMERIC
    ):
        np_dtype = np.dtype(dtype.numpy_dtype)
        missing = series.isna().to_numpy()
        values = series.to_numpy(dtype=np_dtype, na_value=np_dtype.type(0))
        return pa.array(values, mask=missing if missing.any() else None)
    if dtype == object or isinstance(dtype, pd.StringDtype) or str(dtype) == "str":
        return _text_column(name, series)
    raise TypeMismatchError(
        f"DataFrame column {name!r} has dtype {dtype}; supported are bool, "
        "int8..int64, uint8..uint64, float32, float64, text and bytes"
    )


def _text_column(name, series):
    """A column of str (text) or of bytes (binary), with missing cells."""
    if not series.dtype == object:
        # pandas string dtypes hold str and missing cells only.
        arr = pa.array(series, from_pandas=True)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        return arr if not pa.types.is_null(arr.type) else pa.nulls(len(series), pa.string())
    cells = series.to_numpy(dtype=object)
    try:
        arr = pa.array(cells, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        arr = None
    if arr is not None and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return arr
    if arr is not None and (pa.types.is_binary(arr.type) or pa.types.is_large_binary(arr.type)):
        # pyarrow turns str cells among bytes into bytes: refuse the mix.
        if any(type(c) is str or isinstance(c, str) for c in cells):
            _refuse_mixed(name, cells)
        return arr
    if arr is not None and pa.types.is_null(arr.type):
        # Only missing cells (or no rows): a text column.
        return pa.nulls(len(cells), pa.string())
    _refuse_mixed(name, cells)
    raise TypeMismatchError(f"DataFrame column {name!r} cannot be converted to text")


def _refuse_mixed(name, cells):
    """Raises the error naming the first cell that is not text like the others."""
    kind = None
    for i, cell in enumerate(cells):
        if isinstance(cell, (str, bytes)):
            this = str if isinstance(cell, str) else bytes
            if kind is None:
                kind = this
            elif kind is not this:
                raise TypeMismatchError(
                    f"DataFrame column {name!r} mixes str and bytes (row {i}: {cell!r})"
                )
        elif not (cell is None or (isinstance(cell, float) and cell != cell) or _is_na(cell)):
            raise TypeMismatchError(
                f"DataFrame column {name!r} mixes text with {type(cell).__name__} "
                f"values (row {i}: {cell!r}); a text column holds str (or bytes) "
                "and missing cells"
            )


def _is_na(cell):
    import pandas as pd

    return cell is pd.NA or cell is pd.NaT


def new_table(df, keep_index=True):
    """A new C table value (the caller frees it) holding the DataFrame."""
    batch = to_batch(df, keep_index)
    out = c_void_p()
    if batch.num_columns == 0:
        # A batch of no columns has no rows in pyarrow: the length is the frame's.
        check(lib.scidb_value_new_table(len(df), byref(out)))
        return out.value
    capsule = batch.__arrow_c_stream__()
    stream = _capsule_pointer(capsule, _STREAM)
    # The library moves the stream out of the capsule (releasing it when
    # done); the capsule's destructor then finds it released.
    check(lib.scidb_value_new_table_from_arrow_stream(stream, byref(out)))
    return out.value


class _Stream:
    """A stream the library exported, offered through the PyCapsule
    interface to whoever imports it once (pyarrow)."""

    def __init__(self, ptr):
        self._ptr = ptr

    def __arrow_c_stream__(self, requested_schema=None):
        # No destructor: the struct is the library's, freed by from_value
        # after pyarrow has moved the stream out of it.
        return _capsule_new(self._ptr, _STREAM, None)


def to_arrow(ptr):
    """A pyarrow Table of a C table value's columns (no cells copied)."""
    stream = c_void_p(lib.scidb_arrow_stream_new())
    if not stream.value:
        raise MemoryError("cannot allocate an Arrow stream")
    try:
        check(lib.scidb_value_table_to_arrow_stream(ptr, stream))
        return pa.RecordBatchReader.from_stream(_Stream(stream.value)).read_all()
    finally:
        lib.scidb_arrow_stream_free(byref(stream))


def from_value(ptr):
    """The DataFrame of a C table value."""
    import pandas as pd

    rows, ncols = c_size_t(), c_size_t()
    check(lib.scidb_value_table_shape(ptr, byref(rows), byref(ncols)))
    if ncols.value == 0:
        return pd.DataFrame(index=pd.RangeIndex(rows.value))
    return to_frame(to_arrow(ptr))


def to_frame(table):
    """A DataFrame of a pyarrow Table as scidb gives them back: numbers as
    numpy columns, integer and bool columns with missing cells as pandas'
    nullable arrays, floats with NaN, text as pandas' default text column
    (pandas 3's ``str``, object columns of str before) and binary as
    object columns of bytes, missing cells None (NaN in ``str``)."""
    import pandas as pd

    n = table.num_rows
    columns = {}
    for name, col in zip(table.column_names, table.columns):
        columns[name] = _frame_column(col.combine_chunks() if col.num_chunks != 1 else col.chunk(0))
    if not columns:
        return pd.DataFrame(index=pd.RangeIndex(n))
    return pd.DataFrame(columns, index=pd.RangeIndex(n))


def _frame_column(arr):
    import pandas as pd

    t = arr.type
    if (
        pa.types.is_string(t) or pa.types.is_large_string(t)
        or pa.types.is_binary(t) or pa.types.is_large_binary(t)
    ):
        # pyarrow builds pandas' own text column (no Python str per cell
        # under pandas 3) or an object column of str / bytes.
        return arr.to_pandas()
    if arr.null_count == 0:
        return arr.to_numpy(zero_copy_only=False)
    mask = arr.is_null().to_numpy(zero_copy_only=False)
    if pa.types.is_boolean(t):
        values = arr.fill_null(False).to_numpy(zero_copy_only=False)
        return pd.arrays.BooleanArray(values, mask)
    if pa.types.is_integer(t):
        values = arr.fill_null(0).to_numpy(zero_copy_only=False)
        return pd.arrays.IntegerArray(values, mask)
    # Floats: a missing cell reads as NaN.
    return arr.to_numpy(zero_copy_only=False)
