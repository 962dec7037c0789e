"""The state of one resource cache, as the UI shows it (header badges, error lines)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime


class CachePhase(enum.StrEnum):
    SYNCING = "syncing"
    """Discovering the served version or listing; the cache may still be empty or stale."""
    LIVE = "live"
    """A watch is open: changes arrive as they happen (unless `CacheState.stale_since` is set)."""
    RECONNECTING = "reconnecting"
    """The connection was lost; retrying with back-off. The cached objects are kept."""
    FORBIDDEN = "forbidden"
    """403 (or 401): the credentials may not list/watch this kind. Retried rarely."""
    ERROR = "error"
    """Any other failure, or the kind is not served by this server (then not retried)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class CacheState:
    phase: CachePhase
    attempt: int = 0
    """Failed attempts in a row (0 when healthy); the back-off grows with it."""
    since: datetime = field(default_factory=utc_now)
    """When the cache entered `phase` (timezone-aware, UTC)."""
    message: str = ""
    """One line for the user (secret-free): why the cache is in this phase."""
    resource_version: str = ""
    """The last resourceVersion the cache is consistent with."""
    count: int = 0
    """Number of cached objects."""
    stale_since: datetime | None = None
    """Set while LIVE when the data may be out of date: the watch has been silent for longer
    than the server's bookmark interval allows, or the server stopped answering the cache's
    health probe. The last moment the server was known to be sending (timezone-aware, UTC);
    None when the data is believed current. Cleared when data arrives or a fresh list is in."""

    @property
    def stale(self) -> bool:
        return self.stale_since is not None

    @property
    def out_of_date_since(self) -> datetime | None:
        """Since when what the cache holds may be out of date, or None while it is current:
        a live watch gone silent (`stale_since`), or a watch that is down (reconnecting,
        forbidden, failed) since it entered that phase. Screens dim what it shows."""
        if self.phase is CachePhase.LIVE:
            return self.stale_since
        if self.phase in (CachePhase.RECONNECTING, CachePhase.FORBIDDEN, CachePhase.ERROR):
            return self.since
        return None


LINK_RETRY_FIRST_S = 1.0
LINK_RETRY_MAX_S = 30.0
"""What broke with the link is read again after 1 s, then 2, 4... at most 30 s apart."""


class LinkWatch:
    """Follows one kind's cache state to tell when its link healed: current again after it
    was last seen out of date (silent, down or denied). Screens read again what failed during
    the outage (a log stream, an object's GET) at that moment."""

    def __init__(self, state: CacheState | None = None) -> None:
        self.down = state is not None and state.out_of_date_since is not None
        """Whether the state was last seen out of date."""
        self._retry_s = LINK_RETRY_FIRST_S

    def next_retry_s(self) -> float:
        """How long to wait before reading again what broke with the link while the watch
        looks current (it came back before the read's error arrived, or only that connection
        broke): 1 s, then 2, 4... at most 30 s apart, until `answered`."""
        delay = self._retry_s
        self._retry_s = min(delay * 2, LINK_RETRY_MAX_S)
        return delay

    def answered(self) -> None:
        """A read got its answer: the next break waits `LINK_RETRY_FIRST_S` again."""
        self._retry_s = LINK_RETRY_FIRST_S

    def healed(self, state: CacheState) -> bool:
        """Take the kind's new state; True when it is current again after being out of date."""
        down = state.out_of_date_since is not None
        healed = self.down and not down
        self.down = down
        return healed
