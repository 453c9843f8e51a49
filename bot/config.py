"""Settings: one :class:`Settings` object read from the environment and ``.env``.

Flat keys for what every deployment sets (``BOT_TOKEN``, ``DATABASE_URL``, ``TELEGRAM_API_URL``,
``SOURCES_FILE``, ``EDITOR_IDS``); nested sections for tuning, addressed with ``__``
(``DELIVERY__GLOBAL_RATE=25``). Secrets are :class:`~pydantic.SecretStr` so they never reach logs or
reprs. Every key is listed with its default in ``.env.example``.

:func:`load_settings` turns pydantic's validation errors into one :class:`~bot.exceptions.ConfigError`
that names the environment key at fault, so start-up stops with one clear line, not a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.exceptions import ConfigError

TELEGRAM_API = "https://api.telegram.org"


class PollingSettings(BaseModel):
    """How sources are polled; per-source intervals in the sources file override the default."""

    default_interval_seconds: float = Field(60.0, ge=1)
    jitter_fraction: float = Field(0.1, ge=0, le=0.5)
    timeout_seconds: float = Field(15.0, gt=0)
    max_body_bytes: int = Field(5_000_000, gt=1024)
    per_host_concurrency: int = Field(2, ge=1)
    max_backoff_seconds: float = Field(3600.0, ge=1)
    unhealthy_after_failures: int = Field(5, ge=1)
    max_items_per_poll: int = Field(
        500, ge=1, description="new items one poll stores at most (newest first; the rest are logged)"
    )
    store_batch_size: int = Field(200, ge=1, description="items stored per transaction, at most")
    user_agent: str = "AajelBot/0.1 (+https://github.com/aajel; news alerts)"


class DeliverySettings(BaseModel):
    """Sender limits. Telegram: ~30 msg/s in bulk, ~1 msg/s per chat, 20 msg/min per group."""

    global_rate: float = Field(25.0, gt=0, description="messages per second across all chats")
    per_chat_interval_seconds: float = Field(1.0, ge=0)
    group_per_minute: int = Field(20, ge=1)
    paid_broadcast: bool = False
    paid_broadcast_rate: float = Field(1000.0, gt=0)
    batch_size: int = Field(500, ge=1)
    lease_seconds: float = Field(60.0, gt=0)
    max_attempts: int = Field(8, ge=1)
    concurrency: int = Field(32, ge=1)
    record_batch_size: int = Field(100, ge=1, description="outcomes written per transaction, at most")
    record_interval_seconds: float = Field(0.05, gt=0)
    request_timeout_seconds: float = Field(10.0, gt=0)
    flood_pause_max_seconds: float = Field(5.0, ge=0)
    hold_max_seconds: float = Field(5.0, ge=0)
    max_backoff_seconds: float = Field(300.0, ge=1)
    recovery_interval_seconds: float = Field(15.0, gt=0)


class PulseSettings(BaseModel):
    """The newsroom's own pulse: when to tell the ops chat (and degrade /healthz) that news stopped."""

    sources_minutes: float = Field(
        30.0, gt=0, description="no source succeeded for this long → ops chat told, /healthz degraded"
    )
    deliveries_seconds: float = Field(
        120.0,
        gt=0,
        description="due deliveries waited this long with no send → ops chat told, /healthz degraded",
    )


class ArticleSettings(BaseModel):
    """Fetching full articles on demand. Only hosts of configured sources are ever fetched."""

    timeout_seconds: float = Field(15.0, gt=0)
    max_bytes: int = Field(3_000_000, gt=1024)
    allow_private_addresses: bool = Field(
        False, description="let article fetches reach loopback/private IPs (tests and the offline demo only)"
    )


class ApiSettings(BaseModel):
    """The aiohttp server: CMS API, webhook, health and metrics."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    cms_token: SecretStr | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    public_url: str | None = Field(
        None,
        description="where editors' browsers reach this server (https://… behind a proxy); "
        "the bot's /console sign-in links point here. Default: http://API__HOST:API__PORT",
    )

    @field_validator("host")
    @classmethod
    def _host_shape(cls, value: str) -> str:
        value = value.strip()
        if not value or any(c.isspace() or c in "/@?#" for c in value):
            raise ValueError("must be an address or host name to listen on, e.g. 127.0.0.1 or 0.0.0.0")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url_shape(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be the bot's public URL, e.g. https://bot.example.org/telegram/webhook")
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's rule for secret_token: 1-256 characters, only A-Z, a-z, 0-9, _ and -
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
        env_ignore_empty=True,
        case_sensitive=False,
    )

    bot_token: SecretStr | None = None
    telegram_api_url: str = TELEGRAM_API
    database_url: str = "sqlite+aiosqlite:///./aajel.db"
    sources_file: Path = Path("sources.toml")
    editor_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    ops_chat_id: int | None = None
    display_timezone: str = "UTC"
    default_language: Literal["ar", "en"] = "ar"
    digest_minutes: int = Field(60, ge=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    polling: PollingSettings = Field(default_factory=PollingSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    articles: ArticleSettings = Field(default_factory=ArticleSettings)
    pulse: PulseSettings = Field(default_factory=PulseSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)

    @field_validator("bot_token", mode="before")
    @classmethod
    def _token_shape(cls, value: Any) -> Any:
        if value in (None, ""):
            return None
        text = str(value.get_secret_value() if isinstance(value, SecretStr) else value)
        left, sep, right = text.partition(":")
        if not (sep and left.isdigit() and right):
            raise ValueError("must look like 123456:ABC... (the token BotFather gives)")
        return text

    @field_validator("telegram_api_url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _db_shape(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        try:
            url = make_url(value)
            url.port  # noqa: B018 - parsing the port is the check
        except (ArgumentError, ValueError) as e:
            raise ValueError(f"not a valid database URL ({e})") from None
        if url.get_backend_name() == "postgresql" and not url.database:
            raise ValueError("names no database: postgresql+asyncpg://user@host:5432/DATABASE")
        return value

    @field_validator("editor_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("display_timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {value!r}") from e
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.display_timezone)


def _env_key(loc: tuple[int | str, ...]) -> str:
    return "__".join(str(part) for part in loc if not isinstance(part, int)).upper() or "SETTINGS"


def load_settings(**overrides: Any) -> Settings:
    """Read settings; raise :class:`ConfigError` naming the first bad key."""
    try:
        return Settings(**overrides)
    except ValidationError as e:
        first = e.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(_env_key(first["loc"]), message) from e
