"""Settings, read from the environment with the ``CIVICID_`` prefix (pydantic-settings).

They are checked when read: a value that cannot work (a database URL that does not parse, names
a database engine CivicID does not run on, or names no database) is refused at start-up in one
line (:class:`InvalidSettings`), before anything connects or migrates.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError

from civicid.core.errors import CivicIDError

ENV_PREFIX = "CIVICID_"
DATABASE_URL_FORMS = "sqlite:///PATH or postgresql://USER@HOST/DATABASE"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    data_dir: Path = Field(default=Path("civicid-data"), description="Folder of the embedded database, keys and blobs.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; unset means SQLite in the data folder. PostgreSQL: postgresql+psycopg://…",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        pattern=r"^https?://[A-Za-z0-9.\-:\[\]]+$",
        description="The server's address as others reach it: signing certificates point their CRL and OCSP "
        "links at it (decision 0047).",
    )
    signing_pkcs11_module: Path | None = Field(
        default=None,
        description="A PKCS#11 library (an HSM's; SoftHSM2's in the tests): citizens' signing keys are made and "
        "kept in its token. Unset: in the keystore, wrapped under the master key (decision 0048).",
    )
    signing_pkcs11_token: str = Field(default="civicid", max_length=32, description="The token's label.")
    signing_pkcs11_pin: str | None = Field(default=None, description="The token's user PIN (from a secret store).")
    session_hours: int = Field(default=12, description="Lifetime of a staff session.")
    audit_reads: bool = Field(default=True, description="Write an audit entry for every read of a person's record.")
    audit_checkpoint_every: int = Field(
        default=1000,
        ge=0,
        description="The worker signs a checkpoint of the audit chain once this many entries follow the last; "
        "0 leaves checkpoints to `civicid db audit-checkpoint` (decision 0033).",
    )
    audit_witness_file: Path | None = Field(
        default=None,
        description="JSON-lines file, kept where the database's users cannot write, that every checkpoint is "
        "appended to and that `civicid db verify-audit` reads (decision 0033).",
    )

    simulated_biometrics: bool = Field(
        default=False,
        description="Use the simulator's biometric extractors and capture source instead of the real face model "
        "and fingerprint matcher: for the demo, the tests and the benchmarks only (`--simulated-biometrics`).",
    )

    registry_portraits_dir: Path | None = Field(
        default=None,
        description="A folder of the population registry's card photos, one per person named by ID number "
        "(`<id_number>.jpg` or `.png`), exported from the national database: level 1's selfie is matched against "
        "them with the real face model. Unset: the simulator's drawn portraits (decision 0052).",
    )

    @field_validator("audit_witness_file", "signing_pkcs11_module", "registry_portraits_dir", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        """``CIVICID_AUDIT_WITNESS_FILE=`` means no witness file, not the current folder."""
        return None if value == "" else value

    @field_validator("database_url")
    @classmethod
    def _usable_database_url(cls, value: str | None) -> str | None:
        return checked_database_url(value) if value else None

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'civicid.sqlite3').resolve()}"


class InvalidSettings(CivicIDError):
    """A setting that cannot work; raised at start-up, so the CLI reports it (exit status 2)."""

    code = "invalid_settings"
    title = "A setting cannot be used"


def normalise_database_url(url: str) -> str:
    """Accept the libpq spelling ``postgresql://`` and use the psycopg 3 driver for it."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# The drivers each supported database is run with ("" is the dialect's default: pysqlite for SQLite;
# "civicid" is core/database.py's own pysqlite dialect), and how to name them to a person.
_DRIVERS = {"sqlite": {"", "pysqlite", "civicid"}, "postgresql": {"psycopg"}}
_DRIVER_NAMES = {"sqlite": "Python's sqlite3", "postgresql": "psycopg 3 (postgresql://…)"}


def checked_database_url(value: str) -> str:
    """``value`` normalised, or ``ValueError`` saying why it cannot work (never echoing it: it may hold a password).

    SQLite needs a file (an in-memory database would vanish at exit, and each connection would see
    its own); PostgreSQL needs a database name, without which libpq falls back to the user's name and
    the server's ``postgres`` database would be migrated.
    """
    normalised = normalise_database_url(value.strip())
    try:
        url = make_url(normalised)
    except (ArgumentError, ValueError):
        raise ValueError(f"is not a database URL; expected {DATABASE_URL_FORMS}") from None
    backend, _, driver = url.drivername.partition("+")
    if backend not in _DRIVERS:
        raise ValueError(
            f"names the {backend!r} database, which CivicID does not run on; expected {DATABASE_URL_FORMS}"
        )
    if driver not in _DRIVERS[backend]:
        raise ValueError(f"names the {driver!r} driver; CivicID reaches {backend} through {_DRIVER_NAMES[backend]}")
    if backend == "sqlite" and url.database in (None, "", ":memory:"):
        raise ValueError("names no database file (an in-memory database would be lost at exit): sqlite:///PATH")
    if backend == "postgresql" and not _postgresql_database(url):
        raise ValueError("names no database: add its name after the host, as in postgresql://USER@HOST/civicid")
    return normalised


def _postgresql_database(url: URL) -> str | None:
    named = url.query.get("dbname")
    return url.database or (named if isinstance(named, str) else None)


def load_settings(data_dir: Path | None = None, *, existing: bool = False) -> Settings:
    """Settings from the environment, with ``--data DIR`` taking precedence when given.

    With ``existing``, the data folder must be there already when ``--data`` names it or when it
    holds the embedded database: a mistyped ``--data`` would otherwise open a new, empty database
    and answer with empty tables as if all were well. Only the commands that make a data folder
    (``demo``, ``db upgrade``) go without.
    """
    try:
        settings = Settings()
    except ValidationError as exc:
        raise InvalidSettings(_first_problem(exc)) from None
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    named = data_dir is not None or not settings.database_url  # the folder given, or the embedded database's
    if existing and named and not settings.data_dir.is_dir():
        raise DataFolderMissing(
            f"no data folder at {settings.data_dir}: check --data, or make one with `civicid demo` or"
            " `civicid db upgrade`",
            path=str(settings.data_dir),
        )
    return settings


class DataFolderMissing(InvalidSettings):
    """The data folder named by ``--data`` (or the default) does not exist (the CLI: exit status 2)."""

    code = "data_folder_missing"
    title = "No data folder there"


def _first_problem(error: ValidationError) -> str:
    """The first problem as one line naming the variable, without the value (which may be a secret)."""
    problem = error.errors(include_input=False, include_url=False)[0]
    variable = ENV_PREFIX + "_".join(str(part) for part in problem["loc"]).upper()
    cause = problem.get("ctx", {}).get("error")
    # Our own checks' messages are written to follow the variable's name; pydantic's are not.
    return f"{variable} {cause}" if isinstance(cause, ValueError) else f"{variable}: {problem['msg']}"
