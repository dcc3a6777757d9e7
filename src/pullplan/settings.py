"""One settings object, read from PULLPLAN_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PULLPLAN_", extra="ignore")

    data_dir: Path = Field(
        default_factory=lambda: Path(user_data_dir("pullplan", appauthor=False)),
        description="Where the embedded SQLite database lives.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///<data_dir>/pullplan.sqlite3. "
        "For PostgreSQL: postgresql+psycopg://user@host/dbname",
    )
    host: str = Field(default="127.0.0.1", description="Address `pullplan serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `pullplan serve` listens on.")
    demo: bool = Field(
        default=True,
        description="Create the demo workspace on start when the database has no workspace.",
    )
    pool_size: int = Field(default=10, ge=1, le=200, description="Database connections per process.")
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Server processes `pullplan serve` starts (use PostgreSQL for several).",
    )
    threads: int = Field(
        default=40,
        ge=1,
        le=400,
        description="Worker threads per server process for the routes' blocking work (database, "
        "computation). 1 runs that work on the event loop's own thread, one request at a time: on "
        "SQLite under heavy load the cheapest way (threads only take turns on Python's GIL), but "
        "a quick request waits behind a slow one.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="Server logs on stderr: `text`, or `json` (one JSON object per line)."
    )
    prepare: bool = Field(
        default=True,
        description="Upgrade the schema and create the administrator and the demo when the server "
        "starts (`serve --workers` does it once, before starting its workers).",
    )
    # Trigger rules' time events and outbound webhooks (services/scheduler.py).
    scheduler: bool = Field(
        default=True,
        description="Run the trigger scheduler and the outbox delivery inside `pullplan serve`; "
        "off when a separate `pullplan worker` does it.",
    )
    scheduler_interval: float = Field(
        default=60.0, ge=1, le=3600, description="Seconds between two scheduler ticks."
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'pullplan.sqlite3'}"
