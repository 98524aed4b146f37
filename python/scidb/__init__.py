"""scidb: a versioned, queryable home for every value your analysis produces.

>>> from scidb import configure_database, BaseVariable
>>> db = configure_database("study.duckdb", ["subject", "session"])
>>> class RawEMG(BaseVariable):
...     pass
>>> RawEMG.save([1.0, 2.0], subject=1, session="baseline")
"""

from .database import Database, configure_database, get_database
from .exceptions import (
    AmbiguousVersionError,
    CorruptDataError,
    DatabaseIOError,
    DatabaseLockedError,
    DatabaseNotConfiguredError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    ReservedMetadataKeyError,
    SchemaMismatchError,
    SciDBError,
    StreamProtocolError,
    TypeMismatchError,
    UnreadableRecordsWarning,
)
from .variable import BaseVariable
from .thunk import Thunk, ThunkResult, thunk
from .foreach import Fixed, ForEachError, for_each
from ._convert import content_hash

__version__ = "0.1.0"

__all__ = [
    "AmbiguousVersionError",
    "BaseVariable",
    "CorruptDataError",
    "Database",
    "DatabaseIOError",
    "DatabaseLockedError",
    "DatabaseNotConfiguredError",
    "Fixed",
    "ForEachError",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "ReservedMetadataKeyError",
    "SchemaMismatchError",
    "SciDBError",
    "StreamProtocolError",
    "Thunk",
    "ThunkResult",
    "TypeMismatchError",
    "UnreadableRecordsWarning",
    "configure_database",
    "content_hash",
    "for_each",
    "get_database",
    "thunk",
]
