"""BaseVariable: subclass it once per kind of data your pipeline produces."""

from .database import get_database


def _schema_order(metadata, schema_keys):
    """Metadata with the schema keys first, in schema order, then the rest."""
    ordered = {k: metadata[k] for k in schema_keys if k in metadata}
    ordered.update((k, v) for k, v in metadata.items() if k not in ordered)
    return ordered


class BaseVariable:
    """A named variable type. ``class RawEMG(BaseVariable): pass`` is all it
    takes; records are saved and loaded by metadata::

        RawEMG.save(signal, subject=1, session="baseline")
        raw = RawEMG.load(subject=1, session="baseline")
        raw.data, raw.metadata, raw.record_id
    """

    _registry = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        BaseVariable._registry[cls.__name__] = cls

    def __init__(self, data=None, metadata=None, record_id=None, content_hash=None, version=None, saved_at=None):
        self.data = data
        self.metadata = dict(metadata or {})
        self.record_id = record_id
        self.content_hash = content_hash
        self.version = version
        self.saved_at = saved_at

    def __repr__(self):
        meta = ", ".join(f"{k}={v!r}" for k, v in self.metadata.items())
        return f"{type(self).__name__}({meta}, record_id={self.record_id!r})"

    @classmethod
    def variable_name(cls):
        """The name records and the SQL view of this type carry."""
        return cls.__name__

    @classmethod
    def get(cls, name):
        """The registered subclass called ``name``."""
        return BaseVariable._registry[name]

    @classmethod
    def save(cls, data, **metadata):
        """Saves ``data`` with metadata; returns the record id. Saving the
        same content with the same metadata again stores nothing new.

        A thunk result is saved with its lineage (function, inputs,
        constants), and the call's constants are added to the metadata as
        variant keys (``smoothing=0.2``)."""
        from .thunk import ThunkResult

        db = get_database()
        if isinstance(data, ThunkResult):
            return db.save_result(cls.variable_name(), data, metadata)
        if isinstance(data, BaseVariable):
            data = data.data
        return db.save(cls.variable_name(), data, metadata)

    @classmethod
    def save_chunks(cls, chunks, **metadata):
        """Saves one value from an iterable of chunks (numpy arrays joined
        along their first axis, or DataFrames joined by rows) without ever
        holding it whole; returns the record id. Nothing is saved when the
        iterable raises. Read it back with :meth:`load_chunks`; ``load``
        returns it whole only up to 256 MiB."""
        from .chunks import save_chunks
        from .database import metadata_json

        return save_chunks(get_database(), cls.variable_name(), chunks, metadata_json(metadata))

    @classmethod
    def load_chunks(cls, version=None, **metadata):
        """The chunks of a value saved with :meth:`save_chunks`, one at a
        time: an iterable of numpy arrays or DataFrames of about one million
        cells each, with ``n_chunks`` and ``rows`` attributes. The metadata
        selects one record as ``load`` does; ``version`` is a record id."""
        from .chunks import ChunkReader
        from .database import query_json

        selection = metadata if version is None else {"version": version, **metadata}
        return ChunkReader(get_database(), cls.variable_name(), query_json(selection))

    @classmethod
    def _from_records(cls, records):
        infos = records.info()
        schema = get_database().dataset_schema_keys
        return [
            cls(
                data=data,
                metadata=_schema_order(info["metadata"], schema),
                record_id=info["record_id"],
                content_hash=info["content_hash"],
                version=info["version"],
                saved_at=info["saved_at"],
            )
            for info, data in zip(infos, records.values())
        ]

    @classmethod
    def load(cls, version=None, **metadata):
        """Loads by metadata: the newest record at the matching location, or
        a list when several locations match. Non-schema keys select variants
        (``smoothing=0.2``); a list value means "any of". ``version`` loads
        exactly the record with that id. Raises NotFoundError when nothing
        matches and AmbiguousVersionError when a location holds several
        variants that the metadata does not choose between."""
        # The core decides what version= selects (metadata.rs parse_selection).
        selection = metadata if version is None else {"version": version, **metadata}
        found = cls._from_records(get_database().load_records(cls.variable_name(), selection))
        return found[0] if len(found) == 1 else found

    @classmethod
    def load_all(cls, as_df=False, **metadata):
        """Every matching location and variant, newest version of each: a
        generator of instances, or with ``as_df=True`` a pandas DataFrame
        with one column per metadata key and a ``data`` column."""
        records = get_database().load_all_records(cls.variable_name(), metadata)
        if as_df:
            return cls._dataframe(records)
        return cls._iterate(records)

    @classmethod
    def _iterate(cls, records):
        yield from cls._from_records(records)

    @classmethod
    def _dataframe(cls, records):
        import pandas as pd

        infos = records.info()
        keys = records.column_keys()
        columns = {k: [i["metadata"].get(k) for i in infos] for k in keys}
        columns["data"] = records.values()
        if not infos:
            return pd.DataFrame(columns={**{k: [] for k in keys}, "data": []})
        return pd.DataFrame(columns)

    @classmethod
    def list_versions(cls, **metadata):
        """Every matching record, all versions, oldest first at each
        location: dicts with record_id, version, saved_at, content_hash and
        metadata."""
        return get_database().version_records(cls.variable_name(), metadata).info()
