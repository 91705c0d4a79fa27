from __future__ import annotations

from server.ratelimit import FailureLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_blocks_after_max_failures_until_the_window_passes() -> None:
    clock = FakeClock()
    limiter = FailureLimiter(3, 60, clock)
    for _ in range(3):
        assert limiter.retry_after("a") == 0
        limiter.fail("a")
    assert limiter.retry_after("a") == 61
    assert limiter.retry_after("b") == 0
    clock.now += 30
    assert limiter.retry_after("a") == 31
    clock.now += 31
    assert limiter.retry_after("a") == 0


def test_reset_and_idle_keys_are_forgotten() -> None:
    clock = FakeClock()
    limiter = FailureLimiter(2, 10, clock)
    limiter.fail("a")
    limiter.fail("a")
    limiter.reset("a")
    assert limiter.retry_after("a") == 0
    limiter.fail("b")
    clock.now += 11
    assert limiter.retry_after("b") == 0
    assert limiter._failures == {}
