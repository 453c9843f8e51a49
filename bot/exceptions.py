"""Aajel's exception tree.

Every error Aajel raises on purpose derives from :class:`AajelError`. Errors from libraries are
wrapped where they cross an I/O boundary (``raise FetchError(...) from e``), so callers catch ours,
never aiohttp's or SQLAlchemy's::

    AajelError
    ├── ConfigError            settings missing or malformed (start-up stops with one line naming the key)
    ├── SourceError            a news source could not be used; carries ``source`` (url or name)
    │   ├── FetchError         HTTP/network failure, timeout, size cap, bad status
    │   │   ├── SourceThrottled  the host answered 429/503; ``retry_after`` seconds
    │   │   └── OutboundRefused  the outbound policy (bot.net.outbound) refused a hop; never retried
    │   └── ParseError         the body is not a feed/page we can read
    ├── ArticleError           full text of an article could not be produced
    │   ├── ArticleNotAllowed  URL not of a configured source, or resolves to a private address
    │   └── ExtractionError    fetched, but no readable body found
    ├── DeliveryError          a message could not be delivered to one chat
    │   ├── DeliveryRetryable  flood wait, 5xx or network failure: try again later
    │   │   └── BotApiUnavailable  the Bot API could not be reached / timed out / answered garbage
    │   └── BotApiError        the Bot API answered ``ok: false``; ``code``, ``description``,
    │                          ``retry_after``, ``migrate_to_chat_id``
    ├── NotFound               a topic, article, alert or subscriber id that does not exist
    ├── ValidationError        user or API input rejected; ``message`` is safe to show the user
    │   └── UnknownTopics      topic slugs that do not exist (an alert's, a channel's): ``slugs``
    ├── PermissionDenied       an editor-only action by someone who is not an editor
    └── TaskFailed             a supervised task could not come back (bot.supervisor): the process
                               stops with a non-zero status so its service manager restarts it

One failing source, recipient or message never stops the others: loops catch :class:`AajelError`
per item, record it, and go on.
"""

from __future__ import annotations


class AajelError(Exception):
    """Base of every error Aajel raises on purpose."""


class ConfigError(AajelError):
    """A setting is missing or malformed; ``key`` names it."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


class SourceError(AajelError):
    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


class FetchError(SourceError):
    pass


class SourceThrottled(FetchError):
    def __init__(self, source: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(source, message)
        self.retry_after = retry_after


class OutboundRefused(FetchError):
    """A URL or redirect hop the outbound policy refuses (address class, scheme, metadata name).

    Raised *before* any connection to the refused address is attempted.
    """


class ParseError(SourceError):
    pass


class ArticleError(AajelError):
    pass


class ArticleNotAllowed(ArticleError):
    pass


class ExtractionError(ArticleError):
    pass


class DeliveryError(AajelError):
    pass


class DeliveryRetryable(DeliveryError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BotApiUnavailable(DeliveryRetryable):
    pass


class BotApiError(DeliveryError):
    def __init__(
        self,
        code: int,
        description: str,
        *,
        retry_after: float | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id


class NotFound(AajelError):
    pass


class ValidationError(AajelError):
    pass


class UnknownTopics(ValidationError):
    """Raised where topic slugs are resolved (:func:`bot.services.alerts.create_alert`, a channel's
    topics in :func:`bot.services.channels.update_channel`), so each front end can point at the
    offending slug — the CMS API names the field or list item by the type, never by the message."""

    def __init__(self, slugs: list[str]) -> None:
        super().__init__(f"unknown topics: {', '.join(slugs)}")
        self.slugs = slugs


class PermissionDenied(AajelError):
    pass


class TaskFailed(AajelError):
    pass
