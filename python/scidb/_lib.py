"""Loads the scidb shared library and declares its C functions for ctypes.

The library is found, in order, at ``$SCIDB_LIBRARY``, inside this package
(where ``pip install ./python`` puts it), or in the repository's cargo
target directory (``$CARGO_TARGET_DIR`` or ``target/``) for development.
"""

import ctypes
import os
import sys
from ctypes import (
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_int32,
    c_size_t,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path

from .exceptions import BY_STATUS_ID, InternalError, InvalidArgumentError, SciDBError

ABI_VERSION = 1
RECORD_ID_SIZE = 33
HASH_SIZE = 65

ARRAY_SCALAR = 1
ARRAY_COLUMN_MAJOR = 2

KIND_NULL, KIND_ARRAY, KIND_STRING, KIND_LIST, KIND_MAP, KIND_TABLE = range(6)


def _library_name():
    if sys.platform == "darwin":
        return "libscidb.dylib"
    if sys.platform == "win32":
        return "scidb.dll"
    return "libscidb.so"


def _candidates():
    name = _library_name()
    env = os.environ.get("SCIDB_LIBRARY")
    if env:
        yield Path(env)
        return
    here = Path(__file__).resolve().parent
    yield here / name
    repo = here.parent.parent
    target = os.environ.get("CARGO_TARGET_DIR")
    for base in ([Path(target)] if target else []) + [repo / "target"]:
        yield base / "release" / name
        yield base / "debug" / name


def _load():
    tried = []
    for path in _candidates():
        tried.append(str(path))
        if path.is_file():
            lib = ctypes.CDLL(str(path))
            version = lib.scidb_abi_version()
            if version != ABI_VERSION:
                raise InternalError(
                    f"{path} implements scidb C ABI version {version}; this package "
                    f"needs version {ABI_VERSION}. Reinstall with `pip install ./python`."
                )
            return lib
    raise ImportError(
        "cannot find the scidb library; looked at: "
        + ", ".join(tried)
        + ". Install with `pip install ./python` or set SCIDB_LIBRARY."
    )


lib = _load()


class ArrayView(Structure):
    _fields_ = [
        ("dtype", c_uint32),
        ("is_scalar", c_uint32),
        ("ndim", c_size_t),
        ("shape", POINTER(c_uint64)),
        ("data", c_void_p),
        ("nbytes", c_size_t),
    ]


def _declare(name, argtypes, restype=c_int32):
    fn = getattr(lib, name)
    fn.argtypes = argtypes
    fn.restype = restype
    return fn


P = c_void_p
PP = POINTER(c_void_p)

_declare("scidb_abi_version", [], c_uint32)
_declare("scidb_max_depth", [], c_uint32)
_declare("scidb_last_error", [], c_char_p)
_declare("scidb_status_id", [ctypes.c_int32], c_char_p)
_declare("scidb_status_name", [ctypes.c_int32], c_char_p)
_declare("scidb_open", [c_char_p, POINTER(c_char_p), c_size_t, c_char_p, PP])
_declare("scidb_open_with_data_path", [c_char_p, POINTER(c_char_p), c_size_t, c_char_p, c_char_p, PP])
_declare("scidb_gc", [P, POINTER(c_uint64), POINTER(c_uint64)])
_declare("scidb_db_data_path", [P, PP])
_declare("scidb_db_path", [P, PP])
_declare("scidb_copy", [P, P, PP])
_declare("scidb_db_is_shared", [P, POINTER(ctypes.c_int32)])
_declare("scidb_db_free", [PP], None)
_declare("scidb_save", [P, c_char_p, c_char_p, P, POINTER(c_char)])
for _name in ("scidb_load", "scidb_load_all", "scidb_list_versions", "scidb_load_record"):
    _declare(_name, [P, c_char_p, c_char_p, PP])
_declare("scidb_records_free", [PP], None)
_declare("scidb_records_count", [P, POINTER(c_size_t)])
_declare("scidb_records_info_json", [P, POINTER(c_char_p)])
_declare("scidb_records_unreadable_json", [P, POINTER(c_char_p)])
_declare("scidb_records_column_keys", [P, PP])
_declare("scidb_records_values", [P, POINTER(c_void_p), c_size_t])
_declare("scidb_value_new_null", [PP])
_declare("scidb_value_new_array", [c_uint32, POINTER(c_uint64), c_size_t, c_void_p, c_size_t, c_uint32, PP])
_declare("scidb_value_new_string", [c_char_p, c_size_t, PP])
_declare("scidb_value_new_list", [PP])
_declare("scidb_value_list_push", [P, PP])
_declare("scidb_value_new_map", [PP])
_declare("scidb_value_map_insert", [P, c_char_p, PP])
_declare("scidb_value_free", [PP], None)
_declare("scidb_value_kind", [P, POINTER(c_uint32)])
_declare("scidb_value_array", [P, POINTER(ArrayView)])
_declare("scidb_value_string", [P, POINTER(c_void_p), POINTER(c_size_t)])
_declare("scidb_value_len", [P, POINTER(c_size_t)])
_declare("scidb_value_list_get", [P, c_size_t, PP])
_declare("scidb_value_map_entry", [P, c_size_t, POINTER(c_void_p), POINTER(c_size_t), PP])
_declare("scidb_value_hash", [P, POINTER(c_char)])
_declare("scidb_array_hash", [c_uint32, POINTER(c_uint64), c_size_t, c_void_p, c_size_t, c_uint32, POINTER(c_char)])
_declare("scidb_source_hash", [c_char_p, c_char_p, c_size_t, POINTER(c_char)])
_declare("scidb_string_free", [PP], None)
_declare("scidb_call_new", [c_char_p, c_char_p, c_char_p, c_char_p, c_uint32, PP])
_declare("scidb_call_free", [PP], None)
_declare("scidb_call_add_input_record", [P, P, c_char_p, c_char_p])
_declare("scidb_call_add_input_hash", [P, c_char_p, c_char_p])
_declare("scidb_call_add_constants", [P, c_char_p])
_declare("scidb_call_set_output_count", [P, c_uint32])
_declare("scidb_call_lookup", [P, P, POINTER(c_int32)])
_declare("scidb_call_output_count", [P, POINTER(c_size_t)])
_declare("scidb_call_output_record_id", [P, c_size_t, POINTER(c_char_p)])
_declare("scidb_call_output_content_hash", [P, c_size_t, POINTER(c_char_p)])
_declare("scidb_call_save_output", [P, P, c_uint32, c_char_p, c_char_p, P, POINTER(c_char)])
_declare("scidb_provenance_json", [P, c_char_p, PP])
_declare("scidb_upstream_provenance_json", [P, c_char_p, PP])


class ForEachSummary(Structure):
    """Mirror of ``scidb_foreach_summary``."""

    _fields_ = [
        ("run_id", ctypes.c_int64),
        ("combinations", c_uint64),
        ("to_run", c_uint64),
        ("ran", c_uint64),
        ("cached", c_uint64),
        ("skipped", c_uint64),
        ("failed", c_uint64),
    ]


_declare("scidb_foreach_new", [P, c_char_p, PP])
_declare("scidb_foreach_free", [PP], None)
_declare("scidb_foreach_summary_get", [P, POINTER(ForEachSummary)])
_declare("scidb_foreach_report_json", [P, PP])
_declare("scidb_foreach_summary_text", [P, PP])
_declare("scidb_foreach_next", [P, P, c_size_t, POINTER(c_size_t), POINTER(c_size_t)])
_declare("scidb_foreach_item_input", [P, c_size_t, c_size_t, PP])
_declare("scidb_foreach_item_metadata_json", [P, c_size_t, PP])
_declare("scidb_foreach_item_done", [P, P, c_size_t, PP, c_size_t])
_declare("scidb_foreach_item_failed", [P, c_size_t, c_char_p])
_declare("scidb_foreach_finish", [P, P, POINTER(ForEachSummary)])
_declare("scidb_run_log_json", [P, ctypes.c_int64, PP])
_declare("scidb_jobs_json", [P, PP])
_declare("scidb_clear_jobs", [P, c_char_p, POINTER(c_uint64)])


def check(status):
    """Raises the exception matching a non-zero status, with the library's message."""
    if status != 0:
        message = lib.scidb_last_error().decode("utf-8", "replace")
        kind = lib.scidb_status_id(status).decode("ascii")
        raise BY_STATUS_ID.get(kind, SciDBError)(message, status)


def take_string(ptr):
    """The text of a string the library returned as owned, which is freed."""
    try:
        return ctypes.string_at(ptr).decode("utf-8")
    finally:
        p = c_void_p(ptr)
        lib.scidb_string_free(ctypes.byref(p))


def encode(text, what):
    """UTF-8 bytes of a str argument for a NUL-terminated C string, with a
    clear error for other types. Text holding a NUL is refused: C would
    read only the part before it (a path would open another file)."""
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, got {type(text).__name__}")
    if "\x00" in text:
        raise InvalidArgumentError(f"{what} {text!r} holds a NUL character, which C strings cannot carry")
    return text.encode("utf-8")


class Handle:
    """Owns a C handle and frees it exactly once (on close or collection)."""

    __slots__ = ("ptr", "_free")

    def __init__(self, ptr, free):
        self.ptr = ptr
        self._free = free

    def close(self):
        if self.ptr:
            p = c_void_p(self.ptr)
            self._free(ctypes.byref(p))
            self.ptr = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: the process frees everything
            pass
