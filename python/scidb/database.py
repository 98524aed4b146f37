"""Configuring the database and the queries every variable type shares."""

import ctypes
import json
import math
import numbers
import warnings
from ctypes import byref, c_char_p, c_size_t, c_uint64, c_void_p

import numpy as np

from ._convert import from_value, owned_value, to_value
from ._lib import RECORD_ID_SIZE, Handle, check, encode, lib, take_string
from .exceptions import DatabaseNotConfiguredError, InvalidArgumentError, UnreadableRecordsWarning

_current = None


class Database:
    """An open scidb database: a DuckDB file or a PostgreSQL catalog.
    Create it with :func:`configure_database`."""

    def __init__(self, path, dataset_schema_keys, lineage_path=None, data_path=None):
        path = str(path)
        keys = list(dataset_schema_keys)
        for k in keys:
            if not isinstance(k, str):
                raise InvalidArgumentError(f"schema keys must be str, got {k!r}")
        raw_keys = (c_char_p * max(len(keys), 1))(*[encode(k, "schema key") for k in keys])
        out = c_void_p()
        check(
            lib.scidb_open_with_data_path(
                encode(path, "path"),
                raw_keys,
                len(keys),
                None if lineage_path is None else encode(str(lineage_path), "lineage_path"),
                None if data_path is None else encode(str(data_path), "data_path"),
                byref(out),
            )
        )
        self._handle = Handle(out.value, lib.scidb_db_free)
        # The core's name for it: a catalog URL without its password.
        name = c_void_p()
        check(lib.scidb_db_path(self._handle.ptr, byref(name)))
        self.path = take_string(name.value)
        self.dataset_schema_keys = keys
        self.lineage_path = None if lineage_path is None else str(lineage_path)

    @property
    def data_path(self):
        """The folder holding the payload files (values over 1 MiB)."""
        out = c_void_p()
        check(lib.scidb_db_data_path(self.ptr, byref(out)))
        return take_string(out.value)

    def gc(self):
        """Removes payload files no record refers to (left by a save that was
        interrupted between writing its file and committing its record) and
        temporary files of interrupted writes; returns ``(files, bytes)``
        removed. Loads never remove files."""
        files, nbytes = ctypes.c_uint64(), ctypes.c_uint64()
        check(lib.scidb_gc(self.ptr, byref(files), byref(nbytes)))
        return files.value, nbytes.value

    @property
    def is_shared(self):
        """True for a PostgreSQL catalog, which many processes use at once;
        False for a DuckDB file, which one process uses."""
        out = ctypes.c_int32()
        check(lib.scidb_db_is_shared(self.ptr, byref(out)))
        return bool(out.value)

    def copy_to(self, other):
        """Copies every record (all versions), view, lineage row, run and
        payload file of this database into ``other`` (an empty
        :class:`Database` with the same schema keys, say a PostgreSQL
        catalog), then loads every record from ``other`` and checks its
        content hash and provenance. Returns what was copied as a dict
        (``records``, ``verified``, ``payload_files``, ...). The
        ``scidb copy SRC DST`` command does the same."""
        p = c_void_p()
        check(lib.scidb_copy(self.ptr, other.ptr, byref(p)))
        return json.loads(take_string(p.value))

    def jobs(self):
        """The jobs of shared ``for_each`` runs (``reserve_jobs=True`` on a
        PostgreSQL catalog) as a DataFrame: ``run_key``, ``function``,
        ``position``, ``metadata`` (dict), ``status`` ("pending",
        "reserved", "done", "failed"), ``host``, ``pid``, ``attempts``,
        ``lease_until``, ``message``, ``updated_at``. Empty on a DuckDB file."""
        import pandas as pd

        p = c_void_p()
        check(lib.scidb_jobs_json(self.ptr, byref(p)))
        columns = ["run_key", "function", "position", "metadata", "status", "host", "pid",
                   "attempts", "lease_until", "message", "updated_at"]
        return pd.DataFrame(json.loads(take_string(p.value)), columns=columns)

    def clear_jobs(self, status=None):
        """Deletes the jobs with ``status`` ("pending", "reserved", "done",
        "failed"; default: all), so the next ``for_each(...,
        reserve_jobs=True)`` adds those combinations again: how failed
        combinations are retried. Returns how many were deleted."""
        n = c_uint64()
        check(lib.scidb_clear_jobs(self.ptr, None if status is None else encode(status, "status"), byref(n)))
        return n.value

    @property
    def ptr(self):
        if not self._handle.ptr:
            raise DatabaseNotConfiguredError(f"the database {self.path} has been closed")
        return self._handle.ptr

    def close(self):
        """Closes the file; the object cannot be used afterwards."""
        self._handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"Database({self.path!r}, dataset_schema_keys={self.dataset_schema_keys!r})"

    def _records(self, fn, variable, query):
        out = c_void_p()
        check(fn(self.ptr, encode(variable, "variable type"), query_json(query), byref(out)))
        return Records(out.value)

    def load_records(self, variable, query):
        """Newest record per matching location (see BaseVariable.load)."""
        return self._records(lib.scidb_load, variable, query)

    def load_all_records(self, variable, query):
        """Newest record of every matching location and variant; records
        that cannot be read are left out with an UnreadableRecordsWarning."""
        records = self._records(lib.scidb_load_all, variable, query)
        unreadable = records.unreadable()
        if unreadable:
            shown = "; ".join(f"{u['record_id']}: {u['message']}" for u in unreadable[:5])
            more = f" (and {len(unreadable) - 5} more)" if len(unreadable) > 5 else ""
            warnings.warn(
                UnreadableRecordsWarning(
                    f"load_all left out {len(unreadable)} {variable} record(s) that cannot be read: "
                    f"{shown}{more}",
                    unreadable,
                ),
                stacklevel=4,
            )
        return records

    def version_records(self, variable, query):
        return self._records(lib.scidb_list_versions, variable, query)

    def record_by_id(self, variable, record_id):
        out = c_void_p()
        check(
            lib.scidb_load_record(
                self.ptr,
                None if variable is None else encode(variable, "variable type"),
                encode(record_id, "version (a record id)"),
                byref(out),
            )
        )
        return Records(out.value)

    def save(self, variable, data, metadata):
        """Saves a value; returns its record id. See BaseVariable.save."""
        meta = metadata_json(metadata)
        value = owned_value(to_value(data))
        try:
            rid = ctypes.create_string_buffer(RECORD_ID_SIZE)
            check(lib.scidb_save(self.ptr, encode(variable, "variable type"), meta, value.ptr, rid))
            return rid.value.decode("ascii")
        finally:
            value.close()


    def save_result(self, variable, result, metadata):
        """Saves a thunk result with its lineage; returns the record id."""
        return result._save(self, variable, metadata_json(metadata))

    def run_log(self, run_id=None):
        """The iterations of a ``for_each`` run (default: the latest) as a
        DataFrame: ``run_id``, ``position``, ``metadata`` (dict),
        ``status`` ("ran", "cached", "skipped", "failed"), ``message``
        (why skipped, or the traceback), ``record_ids`` and ``cache_key``.
        The same rows are in the ``_scidb_run_log`` table (and the runs in
        ``_scidb_runs``) for SQL tools."""
        import pandas as pd

        p = c_void_p()
        check(lib.scidb_run_log_json(self.ptr, int(run_id or 0), byref(p)))
        rows = json.loads(take_string(p.value))
        columns = ["run_id", "position", "metadata", "status", "message", "record_ids", "cache_key"]
        return pd.DataFrame(rows, columns=columns)

    def status(self, fn=None):
        """Every pipeline step's current and stale outputs (see
        :func:`scidb.inspect.status`); given ``fn`` as it is now, its
        outputs made by another source or version are stale too."""
        from .inspect import status

        return status(self, fn)

    def graph(self):
        """The pipeline picture, shown inline by Jupyter; ``.save(path)``
        writes .svg, .html or .dot (see :class:`scidb.inspect.PipelineGraph`)."""
        from .inspect import graph

        return graph(self)

    def get_provenance(self, variable, version=None, **metadata):
        """What produced a record: a dict with ``function_name``,
        ``function_hash``, ``language``, ``constants`` (name -> value),
        ``inputs`` (dicts with ``name``, ``variable``, ``record_id``,
        ``content_hash``), ``record_id``, ``variable``, ``metadata``,
        ``cache_key``, ``source_hash``, ``function_version``,
        ``output_index``, ``n_outputs`` and ``recorded_at``; None when the
        record was saved without lineage.

        ``variable`` is a variable type (class or name) chosen with
        metadata, or ``version=record_id``; or a loaded or saved object.
        """
        rid = self._record_for_provenance(variable, version, metadata)
        out = c_void_p()
        check(lib.scidb_provenance_json(self.ptr, encode(rid, "record id"), byref(out)))
        return json.loads(take_string(out.value))

    def get_upstream_provenance(self, variable, version=None, **metadata):
        """The provenance of a record and of everything upstream of it: a
        list of dicts shaped as :meth:`get_provenance` returns, the record
        first, then its inputs' producers, breadth-first. Records saved
        without lineage (raw data) end the walk; they appear as inputs."""
        rid = self._record_for_provenance(variable, version, metadata)
        out = c_void_p()
        check(lib.scidb_upstream_provenance_json(self.ptr, encode(rid, "record id"), byref(out)))
        return json.loads(take_string(out.value))

    def _record_for_provenance(self, variable, version, metadata):
        from .thunk import ThunkResult
        from .variable import BaseVariable

        if isinstance(variable, (BaseVariable, ThunkResult)):
            if version is not None or metadata:
                raise InvalidArgumentError("give a loaded object or a variable type with metadata, not both")
            if not variable.record_id:
                raise InvalidArgumentError(f"{variable!r} has not been saved")
            return variable.record_id
        if isinstance(variable, type) and issubclass(variable, BaseVariable):
            name = variable.variable_name()
        elif isinstance(variable, str):
            name = variable
        else:
            raise TypeError(
                f"get_provenance needs a variable type (e.g. FilteredEMG) or a loaded record, "
                f"got {type(variable).__name__}"
            )
        if version is not None:
            if metadata:
                raise InvalidArgumentError("version=... takes no other metadata")
            return self.record_by_id(name, version).info()[0]["record_id"]
        infos = self.load_records(name, metadata).info()
        if len(infos) != 1:
            raise InvalidArgumentError(
                f"{len(infos)} {name} records match {metadata}; give the metadata of one "
                "record, or version=record_id"
            )
        return infos[0]["record_id"]


class Records:
    """The result of a load: descriptions and values of some records."""

    def __init__(self, ptr):
        self._handle = Handle(ptr, lib.scidb_records_free)
        n = c_size_t()
        check(lib.scidb_records_count(ptr, byref(n)))
        self.count = n.value

    def info(self):
        """Descriptions: dicts with record_id, version, content_hash, saved_at, metadata."""
        text = c_char_p()
        check(lib.scidb_records_info_json(self._handle.ptr, byref(text)))
        return json.loads(text.value)

    def column_keys(self):
        """The metadata keys to show these records as a table by, in the
        core's one order: schema keys first, then the others sorted."""
        out = c_void_p()
        check(lib.scidb_records_column_keys(self._handle.ptr, byref(out)))
        return from_value(out.value, self)

    def unreadable(self):
        """Records load_all found but could not read: dicts with record_id and message."""
        text = c_char_p()
        check(lib.scidb_records_unreadable_json(self._handle.ptr, byref(text)))
        return json.loads(text.value)

    def values(self):
        """Every record's value as a Python object. Arrays wrap the loaded
        memory without copying and keep this result alive while they are."""
        pointers = (c_void_p * max(self.count, 1))()
        check(lib.scidb_records_values(self._handle.ptr, pointers, self.count))
        return [from_value(pointers[i], self) for i in range(self.count)]


def _meta_scalar(key, v):
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool) or isinstance(v, str):
        return v
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        v = float(v)
        if not math.isfinite(v):
            raise InvalidArgumentError(f"metadata {key}={v} is not a finite number")
        return v
    raise InvalidArgumentError(
        f"metadata {key}={v!r}: values must be numbers, strings or booleans, "
        f"got {type(v).__name__}"
    )


def metadata_json(metadata):
    """JSON text of save metadata (one scalar per key)."""
    return json.dumps({k: _meta_scalar(k, v) for k, v in metadata.items()}).encode("utf-8")


def query_json(query):
    """JSON text of a query: lists, tuples, ranges and arrays mean "any of"."""
    out = {}
    for k, v in query.items():
        if isinstance(v, (list, tuple, range, set, frozenset, np.ndarray)):
            out[k] = [_meta_scalar(k, x) for x in (sorted(v) if isinstance(v, (set, frozenset)) else v)]
        else:
            out[k] = _meta_scalar(k, v)
    return json.dumps(out).encode("utf-8")


def configure_database(path, dataset_schema_keys, lineage_path=None, data_path=None):
    """Opens (creating when missing) the DuckDB file at ``path`` as the
    database for this process and returns it.

    ``dataset_schema_keys`` orders how the dataset is organised, e.g.
    ``["subject", "session"]``. ``lineage_path`` is accepted for
    compatibility; lineage is kept in the same file so a save and its
    lineage commit together. Values over 1 MiB are kept as files (``.npy``
    for arrays, Arrow IPC ``.arrow`` for DataFrames) in ``data_path``
    (relative to the database's folder), by default ``<path>.data`` beside
    the file; a new database remembers the ``data_path`` it was given.
    Reopening a file with other keys raises :class:`SchemaMismatchError`.
    """
    global _current
    if _current is not None:
        _current.close()  # one file is open once per process
        _current = None
    _current = Database(path, dataset_schema_keys, lineage_path, data_path)
    return _current


def get_database():
    """The database configured by :func:`configure_database`."""
    if _current is None or not _current._handle.ptr:
        raise DatabaseNotConfiguredError(
            "no database is configured: call scidb.configure_database(path, schema_keys) first"
        )
    return _current
