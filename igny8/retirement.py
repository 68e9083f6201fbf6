"""Models near or past their provider's end of life, for the admin (model list, Home).
Pure: ``retirement`` says what a date means today."""

from datetime import date

# How long before a model's end of life the admin is told (announcements come months ahead).
WARN_DAYS = 90


def retirement(end_of_life: date | None, today: date, warn_days: int = WARN_DAYS) -> str | None:
    """ "past end of life since D", "ends in N days (D)", or None (no date, or far off)."""
    if end_of_life is None:
        return None
    days = (end_of_life - today).days
    if days <= 0:
        return f"past end of life since {end_of_life.isoformat()}"
    if days <= warn_days:
        return f"ends in {days} day{'s' if days != 1 else ''} ({end_of_life.isoformat()})"
    return None
