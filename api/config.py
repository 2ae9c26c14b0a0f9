"""Settings: every one comes from a DATELINE_* environment variable."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class ConfigError(ValueError):
    """A setting has a value the server cannot run with."""


def _boolean(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


def _whole_number(low: int, high: int | None, expected: str) -> Callable[[str], int]:
    """A parser for a whole number from low to high (no upper bound when None)."""
    def parse(raw: str) -> int:
        value = int(raw)
        if value < low or (high is not None and value > high):
            raise ValueError(f"expected {expected}")
        return value
    return parse


_positive_int = _whole_number(1, None, "a whole number above zero")
_hop_count = _whole_number(0, 5, "how many proxies, 0 to 5")
_port = _whole_number(1, 65535, "a port number from 1 to 65535")


_SECONDS_PER = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(raw: str) -> int:
    """Seconds, from a number of seconds or a number with a unit: 90s, 30m, 24h, 7d."""
    text = raw.strip().lower()
    unit = _SECONDS_PER.get(text[-1:])
    try:
        seconds = int(text[:-1] if unit else text) * (unit or 1)
    except ValueError:
        seconds = 0
    if seconds < 1:
        raise ValueError("expected a duration such as 3600, 90m, 24h or 7d")
    return seconds


def _schedule(raw: str) -> tuple[int, ...]:
    """Delays in seconds from a comma-separated list of durations: 5s,5m,30m,2h."""
    try:
        delays = tuple(_duration(part) for part in raw.split(","))
    except ValueError:
        raise ValueError("expected comma-separated durations such as 5s,5m,30m,2h") from None
    if len(delays) > 30:
        raise ValueError("expected at most 30 delays")
    return delays


def _database_url(raw: str) -> str:
    if raw == "sqlite:///" or not raw.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise ValueError("expected sqlite:///PATH or postgresql://USER@HOST/DB")
    return raw


def _time_zone(raw: str) -> str:
    import zoneinfo
    name = raw.strip()
    if name not in zoneinfo.available_timezones():
        raise ValueError("expected an IANA time zone name such as UTC or Asia/Tehran")
    return name


def _origins(raw: str) -> tuple[str, ...]:
    origins = tuple(part.strip().rstrip("/") for part in raw.split(",") if part.strip())
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ValueError("expected a comma-separated list of origins like "
                             "https://app.example.org")
    return origins


def _synchronous(raw: str) -> str:
    level = raw.strip().lower()
    if level not in {"normal", "full"}:
        raise ValueError("expected normal or full")
    return level


def _log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level


def _rate(raw: str) -> str:
    from limits import parse_many

    try:
        parse_many(raw)
    except ValueError:
        raise ValueError("expected a rate such as 600/minute or 10/second") from None
    return raw.strip()


def _redis_url(raw: str) -> str:
    if not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("expected redis://HOST:PORT/DB")
    return raw


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[str], Any]
    description: str

    @property
    def env(self) -> str:
        return f"DATELINE_{self.name}"


SETTINGS = (
    Setting("DATABASE_URL", "sqlite:///dateline.db", _database_url,
            "Where articles are stored: `sqlite:///PATH` (embedded) or `postgresql://…`."),
    Setting("READ_DATABASE_URL", "", lambda raw: _database_url(raw),
            "PostgreSQL read replica for GET and HEAD requests; empty: the primary serves "
            "everything. A replica lags: a client may not see its own write at once."),
    Setting("SQLITE_SYNCHRONOUS", "full", _synchronous,
            "SQLite: `full` (a disk sync per commit: every acknowledged write survives "
            "power loss) or `normal` (an acknowledged write survives a crash of the server; "
            "power loss or an operating-system crash may undo the writes since the last "
            "checkpoint, leaving an intact database)."),
    Setting("MAX_BODY_BYTES", 16 * 1024 * 1024, _positive_int,
            "Largest request body accepted; larger bodies get 413."),
    Setting("DB_POOL_SIZE", 8, _positive_int,
            "PostgreSQL connections each worker process may hold open."),
    Setting("AUTO_MIGRATE", True, _boolean,
            "`dateline serve` applies pending schema migrations at start; "
            "when false it refuses to start until `dateline db upgrade` has run."),
    Setting("SECRET_KEY", "", str,
            "Key that signs pagination cursors. Empty: a random key kept in the database, "
            "shared by every instance that uses it."),
    Setting("DEFAULT_TIME_ZONE", "UTC", _time_zone,
            "Zone for local times in raw text from a source without a time_zone."),
    Setting("LOG_LEVEL", "INFO", _log_level, "Least severe log level written."),
    Setting("CORS_ORIGINS", (), _origins,
            "Browser origins allowed to call the API (comma-separated); empty: CORS off."),
    Setting("READS_NEED_KEY", False, _boolean,
            "When true, reads need an API key too (read scope); writes always need one."),
    Setting("REQUIRE_IF_MATCH", False, _boolean,
            "When true, changing or deleting an article needs If-Match (else 428)."),
    Setting("RATE_LIMIT", "", _rate,
            "Requests each API key (or client address, without a key) may make, e.g. "
            "`600/minute`; empty: no limit."),
    Setting("REDIS_URL", "", _redis_url,
            "Redis that keeps rate-limit counters for every worker and instance "
            "(`redis://HOST:6379/0`); empty: each worker counts in its own memory."),
    Setting("METRICS_TOKEN", "", str,
            "Bearer token /metrics requires; empty: /metrics is open."),
    Setting("TRUSTED_PROXIES", 0, _hop_count,
            "Reverse proxies in front of the server whose X-Forwarded-For/-Proto/-Host "
            "headers are believed (0: none); rate limits and links then use the client's "
            "address and the public host."),
    Setting("HOST", "127.0.0.1", str, "Address `dateline serve` listens on."),
    Setting("PORT", 8000, _port, "Port `dateline serve` listens on."),
    Setting("WORKERS", 2, _positive_int, "Worker processes `dateline serve` starts."),
    Setting("IDEMPOTENCY_TTL", 86400, _duration,
            "How long an Idempotency-Key and its stored answer are kept (seconds, or 90m, "
            "24h, 7d): a retry within it replays the answer; after it the key may be used "
            "again, and the answer is purged as writes go on."),
    Setting("WEBHOOK_DELIVERY", True, _boolean,
            "Whether each `dateline serve` worker sends alerts (webhooks) to subscriptions; "
            "false: subscriptions are kept and their changes wait until it is true again."),
    Setting("WEBHOOK_RETRY_SCHEDULE", _schedule("5s,5m,30m,2h,5h,10h,10h"), _schedule,
            "Delays between the attempts to send one change to a failing webhook "
            "(comma-separated durations); when the last fails, the subscription is "
            "disabled until its owner enables it again."),
    Setting("WEBHOOK_ALLOW_PRIVATE", False, _boolean,
            "When true, webhooks may go to loopback, private, link-local and other "
            "non-public addresses (for tests and closed networks only)."),
    Setting("WEBHOOK_TIMEOUT", 10, _whole_number(1, 60, "seconds, 1 to 60"),
            "Seconds each wait of a webhook's attempt may take (looking the name up, "
            "connecting, each read); the whole attempt is cut off after twice this."),
    Setting("WEBHOOK_LOG_RETENTION", 30 * 86400, _duration,
            "How long delivered webhooks stay in subscriptions' delivery logs (seconds, or "
            "90m, 24h, 30d); the deliverers delete older ones in small batches. Failed and "
            "pending deliveries are kept."),
    Setting("KEY_CACHE_SECONDS", 5, _whole_number(0, 300, "seconds, 0 to 300"),
            "How long a worker trusts an API key it has checked before asking the database "
            "again: a revoked key stops working everywhere within this time (at once on "
            "the worker that revoked it); 0 checks every request."),
)


def load_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every setting, raising ConfigError that names the variable at fault."""
    environ = os.environ if environ is None else environ
    values = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env)
        if raw is None or raw == "":
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as error:
            raise ConfigError(f"{setting.env}={raw!r} is not valid: {error}") from None
    return values
