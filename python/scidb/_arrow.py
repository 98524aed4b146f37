"""pandas DataFrames across the C ABI through the Arrow C Data Interface,
built and read with ctypes and numpy (no pyarrow needed).

Columns may be bool, int8..int64, uint8..uint64, float32, float64 (numpy
dtypes or pandas' nullable Int*/UInt*/Float*/boolean), text (object or
pandas string columns holding str and missing cells) or binary (object
columns holding bytes and missing cells).
"""

import ctypes
from ctypes import POINTER, Structure, c_char_p, c_int64, c_void_p

import numpy as np

from .exceptions import TypeMismatchError


class ArrowSchema(Structure):
    pass


class ArrowArray(Structure):
    pass


SCHEMA_RELEASE = ctypes.CFUNCTYPE(None, POINTER(ArrowSchema))
ARRAY_RELEASE = ctypes.CFUNCTYPE(None, POINTER(ArrowArray))

ArrowSchema._fields_ = [
    ("format", c_char_p),
    ("name", c_char_p),
    ("metadata", c_char_p),
    ("flags", c_int64),
    ("n_children", c_int64),
    ("children", POINTER(POINTER(ArrowSchema))),
    ("dictionary", POINTER(ArrowSchema)),
    ("release", SCHEMA_RELEASE),
    ("private_data", c_void_p),
]
ArrowArray._fields_ = [
    ("length", c_int64),
    ("null_count", c_int64),
    ("offset", c_int64),
    ("n_buffers", c_int64),
    ("n_children", c_int64),
    ("buffers", POINTER(c_void_p)),
    ("children", POINTER(POINTER(ArrowArray))),
    ("dictionary", POINTER(ArrowArray)),
    ("release", ARRAY_RELEASE),
    ("private_data", c_void_p),
]

FLAG_NULLABLE = 2

# numpy dtype kind+size -> Arrow format, and back.
_FORMATS = {
    np.dtype(np.bool_): b"b",
    np.dtype(np.int8): b"c",
    np.dtype(np.int16): b"s",
    np.dtype(np.int32): b"i",
    np.dtype(np.int64): b"l",
    np.dtype(np.uint8): b"C",
    np.dtype(np.uint16): b"S",
    np.dtype(np.uint32): b"I",
    np.dtype(np.uint64): b"L",
    np.dtype(np.float32): b"f",
    np.dtype(np.float64): b"g",
}
_DTYPES = {fmt: dt for dt, fmt in _FORMATS.items()}
# Integer formats, which come back as pandas nullable arrays when cells are missing.
_NULLABLE_NAMES = {
    b"c": "Int8",
    b"s": "Int16",
    b"i": "Int32",
    b"l": "Int64",
    b"C": "UInt8",
    b"S": "UInt16",
    b"I": "UInt32",
    b"L": "UInt64",
}


# The producer's release callbacks only mark the struct released: the
# memory they describe is kept alive by the ExportedTable until the C call
# that consumed them has returned.
@SCHEMA_RELEASE
def _release_schema(ptr):
    ptr.contents.release = SCHEMA_RELEASE()


@ARRAY_RELEASE
def _release_array(ptr):
    ptr.contents.release = ARRAY_RELEASE()


def _bitmap(bools):
    return np.packbits(np.asarray(bools, dtype=np.bool_), bitorder="little")


class ExportedTable:
    """A DataFrame described as an Arrow struct array. Keep this object alive
    while C reads ``schema`` and ``array``."""

    def __init__(self, df, keep_index=True):
        """``keep_index=False`` sends the columns only, whatever the index
        (stream answers, as scidb-strm sends them); otherwise an index other
        than 0..n-1 is refused so it is not silently lost."""
        import pandas as pd

        self._keep = []
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
        n_rows = len(df)
        schemas, arrays = [], []
        for name in names:
            s, a = self._column(name, df[name], n_rows)
            schemas.append(s)
            arrays.append(a)
        self.schema = ArrowSchema()
        self.array = ArrowArray()
        self._fill_schema(self.schema, b"+s", "", 0, schemas)
        self._fill_array(self.array, n_rows, 0, [None], arrays)

    def _ptr(self, arr):
        if arr is None:
            return None
        self._keep.append(arr)
        return arr.ctypes.data

    def _fill_schema(self, s, fmt, name, flags, children):
        name_b = name.encode("utf-8")
        self._keep.append(name_b)
        s.format = fmt
        s.name = name_b
        s.metadata = None
        s.flags = flags
        s.n_children = len(children)
        if children:
            ptrs = (POINTER(ArrowSchema) * len(children))(*[ctypes.pointer(c) for c in children])
            self._keep.append(ptrs)
            s.children = ptrs
        s.release = _release_schema
        self._keep.append(s)

    def _fill_array(self, a, length, null_count, buffers, children):
        bufs = (c_void_p * len(buffers))(*[self._ptr(b) for b in buffers])
        self._keep.append(bufs)
        a.length = length
        a.null_count = null_count
        a.offset = 0
        a.n_buffers = len(buffers)
        a.buffers = bufs
        a.n_children = len(children)
        if children:
            ptrs = (POINTER(ArrowArray) * len(children))(*[ctypes.pointer(c) for c in children])
            self._keep.append(ptrs)
            a.children = ptrs
        a.release = _release_array
        self._keep.append(a)

    def _column(self, name, series, n_rows):
        import pandas as pd

        dtype = series.dtype
        valid = None
        if isinstance(dtype, np.dtype) and dtype in _FORMATS:
            fmt = _FORMATS[dtype]
            values = np.ascontiguousarray(series.to_numpy())
        elif isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "biuf" and np.dtype(dtype.numpy_dtype) in _FORMATS:
            np_dtype = np.dtype(dtype.numpy_dtype)
            fmt = _FORMATS[np_dtype]
            missing = series.isna().to_numpy()
            values = np.ascontiguousarray(series.to_numpy(dtype=np_dtype, na_value=np_dtype.type(0)))
            valid = ~missing
        elif dtype == object or isinstance(dtype, pd.StringDtype) or str(dtype) == "str":
            return self._text_column(name, series, n_rows)
        else:
            raise TypeMismatchError(
                f"DataFrame column {name!r} has dtype {dtype}; supported are bool, "
                "int8..int64, uint8..uint64, float32, float64 and text"
            )
        if not values.dtype.isnative:
            values = values.astype(values.dtype.newbyteorder("="))
        data = _bitmap(values) if fmt == b"b" else values
        null_count = 0 if valid is None else int((~valid).sum())
        has_nulls = null_count > 0
        s, a = ArrowSchema(), ArrowArray()
        self._fill_schema(s, fmt, name, FLAG_NULLABLE if valid is not None else 0, [])
        self._fill_array(a, n_rows, null_count, [_bitmap(valid) if has_nulls else None, data], [])
        return s, a

    def _text_column(self, name, series, n_rows):
        """A column of str (text) or of bytes (binary), with missing cells."""
        cells = series.to_numpy(dtype=object)
        valid = np.ones(n_rows, dtype=np.bool_)
        types = set(map(type, cells))
        # Fast paths: a column of only str, or only bytes, cells.
        if types <= {str}:
            return self._text_buffers(name, list(map(str.encode, cells)), valid, str)
        if types == {bytes}:
            return self._text_buffers(name, list(cells), valid, bytes)
        encoded = []
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
                encoded.append(cell.encode("utf-8") if this is str else cell)
            elif cell is None or (isinstance(cell, float) and cell != cell) or _is_na(cell):
                valid[i] = False
                encoded.append(b"")
            else:
                raise TypeMismatchError(
                    f"DataFrame column {name!r} mixes text with {type(cell).__name__} "
                    f"values (row {i}: {cell!r}); a text column holds str (or bytes) "
                    "and missing cells"
                )
        return self._text_buffers(name, encoded, valid, kind)

    def _text_buffers(self, name, encoded, valid, kind):
        """The Arrow column of encoded cells (`valid` False where missing)."""
        n_rows = len(encoded)
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=n_rows)
        offsets = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        large = offsets[-1] > 2**31 - 1
        if kind is bytes:
            fmt = b"Z" if large else b"z"
        else:
            fmt = b"U" if large else b"u"
        offsets = offsets if large else offsets.astype(np.int32)
        data = np.frombuffer(b"".join(encoded) or b"\0", dtype=np.uint8)
        null_count = int((~valid).sum())
        s, a = ArrowSchema(), ArrowArray()
        self._fill_schema(s, fmt, name, FLAG_NULLABLE, [])
        self._fill_array(a, n_rows, null_count, [_bitmap(valid) if null_count else None, offsets, data], [])
        return s, a


def _is_na(cell):
    import pandas as pd

    return cell is pd.NA or cell is pd.NaT


def _buffer(array, i, nbytes, dtype):
    ptr = array.buffers[i]
    if not ptr or nbytes == 0:
        return np.zeros(0, dtype=dtype)
    raw = (ctypes.c_char * nbytes).from_address(ptr)
    return np.frombuffer(raw, dtype=dtype).copy()


def _bits(array, i, n):
    offset = array.offset
    packed = _buffer(array, i, (offset + n + 7) // 8, np.uint8)
    return np.unpackbits(packed, bitorder="little")[offset : offset + n].astype(np.bool_)


def import_table(schema, array):
    """Builds a DataFrame from a struct array that C exported; releases both."""
    import pandas as pd

    try:
        columns = {}
        n_rows = array.length
        for i in range(schema.n_children):
            cs = schema.children[i].contents
            ca = array.children[i].contents
            name = cs.name.decode("utf-8")
            columns[name] = _import_column(cs.format, ca, n_rows)
        return pd.DataFrame(columns, index=pd.RangeIndex(n_rows)) if columns else pd.DataFrame(index=pd.RangeIndex(n_rows))
    finally:
        if array.release:
            array.release(ctypes.byref(array))
        if schema.release:
            schema.release(ctypes.byref(schema))


def _import_column(fmt, a, n):
    import pandas as pd

    valid = _bits(a, 0, n) if a.null_count and a.buffers[0] else None
    if fmt in (b"u", b"U", b"z", b"Z"):
        off_t = np.int32 if fmt in (b"u", b"z") else np.int64
        offsets = _buffer(a, 1, (a.offset + n + 1) * np.dtype(off_t).itemsize, off_t)[a.offset :]
        data = _buffer(a, 2, int(offsets[-1]) if n else 0, np.uint8).tobytes()
        text = fmt in (b"u", b"U")
        # Plain Python ints: indexing with numpy scalars costs far more.
        spans = zip(offsets[:-1].tolist(), offsets[1:].tolist())
        if text:
            decoded = [data[s:e].decode("utf-8") for s, e in spans]
        else:
            decoded = [data[s:e] for s, e in spans]
        cells = np.empty(n, dtype=object)
        cells[:] = decoded
        if valid is not None:
            cells[~valid] = None
        return cells
    if fmt == b"b":
        values = _bits(a, 1, n)
    else:
        dtype = _DTYPES[fmt]
        values = _buffer(a, 1, (a.offset + n) * dtype.itemsize, dtype)[a.offset :]
    if valid is None:
        return values
    if fmt == b"b":
        return pd.arrays.BooleanArray(values, ~valid)
    if fmt in _NULLABLE_NAMES:
        return pd.arrays.IntegerArray(values, ~valid)
    # Floats: a missing cell reads as NaN.
    values = values.astype(values.dtype, copy=True)
    values[~valid] = np.nan
    return values
