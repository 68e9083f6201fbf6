"""Per-minute rate limits as a sliding window over two fixed one-minute counters: the
current minute's count plus the previous minute's, weighted by how much of it still
lies inside the last 60 seconds. Pure functions; the backends keep the counters."""

WINDOW = 60.0


def minute_of(now: float) -> int:
    return int(now // WINDOW)


def estimate(previous: float, current: float, now: float) -> float:
    """How much was used in the 60 seconds before ``now``."""
    elapsed = (now % WINDOW) / WINDOW
    return previous * (1.0 - elapsed) + current


def wait_for_room(previous: float, current: float, now: float, limit: int, amount: int) -> float:
    """0 when ``amount`` more fits under ``limit`` now; else about how many seconds until
    it would, if nothing else is taken meanwhile (the caller asks again then). The
    previous minute's weight decays linearly; at the next minute the current count
    becomes the previous one. A request larger than the whole limit goes through on an
    empty window, or it could never run."""
    elapsed = (now % WINDOW) / WINDOW
    if estimate(previous, current, now) + amount <= limit or (previous == 0 and current == 0):
        return 0.0
    room = limit - current - amount  # what the previous minute's share must shrink to
    if room >= 0 and previous > 0:
        return max(0.01, (1.0 - room / previous - elapsed) * WINDOW)
    until_next = (1.0 - elapsed) * WINDOW
    if amount <= limit and current > 0:
        return max(0.01, until_next + max(0.0, 1.0 - (limit - amount) / current) * WINDOW)
    return max(0.01, until_next + (WINDOW if current > 0 else 0.0))
