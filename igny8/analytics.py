"""Pure functions behind the reports: forecasts, anomalies, margins."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from statistics import median

MAD_THRESHOLD = 3.5
EXPENSIVE_CALL_FACTOR = 3
# Anomalies need this many days with usage: fewer say nothing about what is usual.
MIN_ACTIVE_DAYS = 7
# Forecasts fit this many days ending today, whatever range a report shows.
FORECAST_WINDOW_DAYS = 28
# With no spread around the median (MAD 0), the mean absolute deviation scaled by this
# stands in for it (Iglewicz and Hoaglin; the constant makes it estimate a standard
# deviation for normal data, as 0.6745/MAD does).
MEANAD_SCALE = 1.253314
# Report ranges: at most about two years; longer ones than these group by week or month.
MAX_RANGE_DAYS = 731
WEEKLY_ABOVE_DAYS = 92
MONTHLY_ABOVE_DAYS = 366


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
    fitted_from: date | None = None  # the first day fitted (the first with usage, or later)
    # The 95% prediction interval of each (None: too few days to say, under 3).
    month_total_range: tuple[float, float] | None = None
    next_30_days_range: tuple[float, float] | None = None


# Two-sided 95% quantiles of Student's t by degrees of freedom, 1 to 30 (a fit of at most
# FORECAST_WINDOW_DAYS days has at most 26).
T_975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def forecast_window(today: date) -> tuple[date, date]:
    """The days a forecast is fitted to: the FORECAST_WINDOW_DAYS ending today."""
    return today - timedelta(days=FORECAST_WINDOW_DAYS - 1), today


def sum_interval(values: list[float], days: int) -> tuple[float, float] | None:
    """The 95% prediction interval of the sum of the next ``days`` values of the
    least-squares line through ``values`` (x = 0, 1, ...): the predicted sum (each day's
    never below 0, as ``forecast`` sums it) plus or minus
    t(n−2) · s · sqrt(k + k²/n + (Σ(x_h − x̄))² / Sxx), where s² = SSE / (n − 2) and the
    x_h are the k days ahead (the variance of k new days' sum about the fitted line's).
    Its low end is never below 0. None under 3 values (no spread to judge)."""
    n = len(values)
    if n < 3 or days < 1:
        return None
    trend = least_squares(values)
    mean_x = (n - 1) / 2
    sxx = sum((x - mean_x) ** 2 for x in range(n))
    sse = sum((y - trend.at(x)) ** 2 for x, y in enumerate(values))
    s = (sse / (n - 2)) ** 0.5
    ahead = range(n, n + days)
    predicted = sum(max(0.0, trend.at(x)) for x in ahead)
    spread = sum(x - mean_x for x in ahead)
    half = T_975[min(n - 2, len(T_975)) - 1] * s * (days + days**2 / n + spread**2 / sxx) ** 0.5
    return max(0.0, predicted - half), max(0.0, predicted + half)


def forecast(
    trailing: list[tuple[date, float]], today: date, month_to_date: float, since: date | None = None
) -> Forecast:
    """Fit a least-squares line to the daily costs of the trailing window ending today
    (``forecast_window``), from ``since`` on when given (the first day with usage: the
    days before it are not days of zero cost, there was nobody to spend), and sum it over
    the days ahead (negative days count as 0): the rest of this calendar month, and the
    next 30 days, each with its 95% prediction interval (``sum_interval``).
    ``month_to_date`` is the calendar month's cost so far; neither depends on the range
    a report shows."""
    if since is not None:
        trailing = [(d, v) for d, v in trailing if d >= since]
    values = [v for _, v in trailing]
    trend = least_squares(values)
    last_x = len(values) - 1
    days_left = calendar.monthrange(today.year, today.month)[1] - today.day

    def ahead(days: int) -> float:
        return sum(max(0.0, trend.at(last_x + i)) for i in range(1, days + 1))

    rest = ahead(days_left)
    month_range = None
    if days_left == 0:  # the month is over but for today: nothing left to predict
        month_range = (month_to_date, month_to_date)
    elif (rest_range := sum_interval(values, days_left)) is not None:
        month_range = (month_to_date + rest_range[0], month_to_date + rest_range[1])
    method = f"least-squares linear trend of the last {len(values)} days' cost"
    if since is not None and trailing and since > forecast_window(today)[0]:
        method += f", since the first usage on {trailing[0][0].isoformat()}"
    return Forecast(
        method,
        month_to_date,
        rest,
        month_to_date + rest,
        ahead(30),
        trailing[0][0] if trailing else None,
        month_range,
        sum_interval(values, 30),
    )


def robust_outliers(series: list[tuple[date, float]], threshold: float = MAD_THRESHOLD):
    """Days whose modified z-score exceeds ``threshold``: 0.6745·(x − median) / MAD, or,
    where half the days or more share one value (MAD 0), (x − median) / (1.253314·MeanAD).
    Nothing when fewer than MIN_ACTIVE_DAYS days had usage, or every day is the same."""
    values = [v for _, v in series]
    if sum(1 for v in values if v) < MIN_ACTIVE_DAYS:
        return []
    mid = median(values)
    deviations = [abs(v - mid) for v in values]
    mad = median(deviations)
    if mad:
        scale = mad / 0.6745
    else:
        mean_ad = sum(deviations) / len(deviations)
        if not mean_ad:
            return []
        scale = MEANAD_SCALE * mean_ad
    scored = [(d, v, (v - mid) / scale) for d, v in series]
    return [s for s in scored if abs(s[2]) > threshold]


class RangeError(ValueError):
    """A report range that cannot be shown; the message says why."""


def report_range(start: date, end: date) -> str:
    """Check a report range; the grouping of its chart: day, week or month."""
    if start > end:
        raise RangeError(f"the start ({start}) is after the end ({end})")
    days = (end - start).days + 1
    if days > MAX_RANGE_DAYS:
        raise RangeError(
            f"the range is {days} days; reports show at most {MAX_RANGE_DAYS} days (two years)"
        )
    if days > MONTHLY_ABOVE_DAYS:
        return "month"
    return "week" if days > WEEKLY_ABOVE_DAYS else "day"


def bucket_start(day: date, grouping: str) -> date:
    """The first day of the week (Monday) or month ``day`` falls in."""
    if grouping == "week":
        return day - timedelta(days=day.weekday())
    if grouping == "month":
        return day.replace(day=1)
    return day


def grouped_series(series: list[tuple[date, float]], grouping: str) -> list[tuple[date, float]]:
    """Daily values summed per week or month (labelled by their first day)."""
    totals: dict[date, float] = {}
    for day, value in series:
        key = bucket_start(day, grouping)
        totals[key] = totals.get(key, 0.0) + value
    return sorted(totals.items())


def percentile(ordered: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) of ascending values, interpolated linearly between the
    two ranks around it, as PostgreSQL's percentile_cont does; None for no values."""
    if not ordered:
        return None
    k = (len(ordered) - 1) * q / 100
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def margin(credits: int, cost: Decimal, usd_per_credit: Decimal) -> dict:
    revenue = Decimal(credits) * usd_per_credit
    profit = revenue - cost
    return {
        "revenue_usd": revenue,
        "cost_usd": cost,
        "margin_usd": profit,
        "margin_pct": float(profit / revenue * 100) if revenue else None,
    }
