"""Settings, read from the environment with the ``CIVICID_`` prefix (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICID_", extra="ignore")

    data_dir: Path = Field(default=Path("civicid-data"), description="Folder of the embedded database, keys and blobs.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; unset means SQLite in the data folder. PostgreSQL: postgresql+psycopg://…",
    )
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

    @field_validator("audit_witness_file", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        """``CIVICID_AUDIT_WITNESS_FILE=`` means no witness file, not the current folder."""
        return None if value == "" else value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{(self.data_dir / 'civicid.sqlite3').resolve()}"


def normalise_database_url(url: str) -> str:
    """Accept the libpq spelling ``postgresql://`` and use the psycopg 3 driver for it."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_settings(data_dir: Path | None = None) -> Settings:
    """Settings from the environment, with ``--data DIR`` taking precedence when given."""
    settings = Settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    return settings
