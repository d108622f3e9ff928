"""Settings, read from the environment with the ``CIVICID_`` prefix (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
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
