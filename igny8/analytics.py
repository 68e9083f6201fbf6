"""Pure functions behind the reports: forecasts, anomalies, margins."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from statistics import median

MAD_THRESHOLD = 3.5
EXPENSIVE_CALL_FACTOR = 3


@dataclass(frozen=True)
class Trend:
    """y = intercept + slope * x, x counted in days from the first day."""

    slope: float
    intercept: float

    def at(self, x: float) -> float:
        return self.intercept + self.slope * x


def least_squares(values: list[float]) -> Trend:
    """The ordinary least-squares line through (0, v0), (1, v1), ..."""
    n = len(values)
    if n == 0:
        return Trend(0.0, 0.0)
    if n == 1:
        return Trend(0.0, float(values[0]))
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    sxx = sum((x - mean_x) ** 2 for x in range(n))
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    slope = sxy / sxx
    return Trend(slope, mean_y - slope * mean_x)


def daily_series(rows: dict[date, float], start: date, end: date) -> list[tuple[date, float]]:
    """One value per day from start to end inclusive (days without usage count as 0)."""
    return [
        (start + timedelta(days=i), float(rows.get(start + timedelta(days=i), 0)))
        for i in range((end - start).days + 1)
    ]


@dataclass(frozen=True)
class Forecast:
    method: str
    month_to_date: float
    rest_of_month: float
    month_total: float
    next_30_days: float


def forecast(series: list[tuple[date, float]], today: date) -> Forecast:
    """Fit a least-squares line to the daily costs and sum it over the days ahead
    (negative days count as 0): the rest of this month, and the next 30 days."""
    values = [v for _, v in series]
    trend = least_squares(values)
    last_x = len(values) - 1
    days_left = calendar.monthrange(today.year, today.month)[1] - today.day

    def ahead(days: int) -> float:
        return sum(max(0.0, trend.at(last_x + i)) for i in range(1, days + 1))

    month_to_date = sum(v for d, v in series if d.year == today.year and d.month == today.month)
    rest = ahead(days_left)
    return Forecast(
        "least-squares linear trend of daily cost",
        month_to_date,
        rest,
        month_to_date + rest,
        ahead(30),
    )


def robust_outliers(series: list[tuple[date, float]], threshold: float = MAD_THRESHOLD):
    """Days whose modified z-score 0.6745·(x − median) / MAD exceeds ``threshold``."""
    values = [v for _, v in series]
    if len(values) < 3:
        return []
    mid = median(values)
    mad = median(abs(v - mid) for v in values)
    if mad == 0:
        return [(d, v, float("inf")) for d, v in series if v != mid]
    scored = [(d, v, 0.6745 * (v - mid) / mad) for d, v in series]
    return [s for s in scored if abs(s[2]) > threshold]


def margin(credits: int, cost: Decimal, usd_per_credit: Decimal) -> dict:
    revenue = Decimal(credits) * usd_per_credit
    profit = revenue - cost
    return {
        "revenue_usd": revenue,
        "cost_usd": cost,
        "margin_usd": profit,
        "margin_pct": float(profit / revenue * 100) if revenue else None,
    }
