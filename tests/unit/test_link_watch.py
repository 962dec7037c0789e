"""LinkWatch: a kind's link healed when its state is current again after being out of date."""

from __future__ import annotations

from ktui.cluster.state import CachePhase, CacheState, LinkWatch

LIVE = CacheState(CachePhase.LIVE)
DOWN = CacheState(CachePhase.RECONNECTING)


def test_healed_only_on_the_change_from_out_of_date_to_current() -> None:
    link = LinkWatch()
    assert not link.healed(LIVE), "current all along: nothing healed"
    assert not link.healed(DOWN) and link.down
    assert not link.healed(DOWN)
    assert link.healed(LIVE) and not link.down
    assert not link.healed(LIVE), "once per outage"


def test_a_state_seen_at_the_start_counts() -> None:
    assert LinkWatch(DOWN).healed(LIVE)
    assert not LinkWatch(LIVE).healed(LIVE)
    assert not LinkWatch(None).healed(LIVE)


def test_the_retry_back_off_doubles_to_30_s_and_starts_again_once_answered() -> None:
    link = LinkWatch()
    assert [link.next_retry_s() for _ in range(7)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    link.answered()
    assert link.next_retry_s() == 1.0
