"""Exceptions raised by scidb. Every one is a :class:`SciDBError`."""


class SciDBError(Exception):
    """Base of every scidb error. ``status`` is the C ABI status code."""

    status = None

    def __init__(self, message, status=None):
        super().__init__(message)
        if status is not None:
            self.status = status


class InvalidArgumentError(SciDBError, ValueError):
    """An argument had a bad value (a bad name, bad metadata, a wrong shape)."""


class NotFoundError(SciDBError, LookupError):
    """No variable type or record matches."""


class AmbiguousVersionError(SciDBError):
    """Several variants sit at one location; the message names the keys that
    would choose between them."""


class TypeMismatchError(SciDBError, TypeError):
    """A value of a type scidb cannot store or an operation cannot accept."""


class DatabaseNotConfiguredError(SciDBError):
    """No database was configured: call ``configure_database`` first."""


class ReservedMetadataKeyError(SciDBError, ValueError):
    """A metadata key is reserved by scidb (``record_id``, ``version``, ...)."""


class SchemaMismatchError(SciDBError):
    """The database file was created with other schema keys."""


class DatabaseLockedError(SciDBError):
    """Another process holds the database file."""


class DatabaseIOError(SciDBError, OSError):
    """The file system or the database engine failed."""


class CorruptDataError(SciDBError):
    """Stored bytes could not be decoded."""


class UnreadableRecordsWarning(UserWarning):
    """``load_all`` found records whose values cannot be read (a missing or
    damaged payload file, a value changed behind scidb's back) and left them
    out. ``unreadable`` lists them: dicts with ``record_id`` and ``message``.
    Turn it into an error with ``warnings.simplefilter("error",
    scidb.UnreadableRecordsWarning)``."""

    def __init__(self, message, unreadable=()):
        super().__init__(message)
        self.unreadable = list(unreadable)


class StreamProtocolError(SciDBError):
    """The stream protocol was broken: truncated or malformed input from
    SciDB, or a read or write out of turn."""


class InternalError(SciDBError):
    """A bug in scidb; please report it with the message."""


# The core's status identifiers (scidb_status_id) to exception classes;
# the codes themselves live only in the core.
BY_STATUS_ID = {
    "invalidArgument": InvalidArgumentError,
    "notFound": NotFoundError,
    "ambiguous": AmbiguousVersionError,
    "typeMismatch": TypeMismatchError,
    "io": DatabaseIOError,
    "locked": DatabaseLockedError,
    "schemaMismatch": SchemaMismatchError,
    "reservedKey": ReservedMetadataKeyError,
    "corrupt": CorruptDataError,
    "protocol": StreamProtocolError,
    "internal": InternalError,
}
