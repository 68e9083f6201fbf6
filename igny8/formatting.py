"""How figures read on admin pages: one money format, human column names. Pure functions."""

from decimal import Decimal

CENT = Decimal("0.01")

# Column key -> what a person calls it.
LABELS = {
    "key": "Name",
    "day": "Day",
    "calls": "Calls",
    "input_tokens": "Input tokens",
    "cached_input_tokens": "Cached input tokens",
    "cache_write_tokens": "Cache-write tokens",
    "output_tokens": "Output tokens",
    "reasoning_tokens": "Reasoning tokens",
    "image_input_tokens": "Image input tokens",
    "image_output_tokens": "Image output tokens",
    "images": "Images",
    "credits": "Credits",
    "credits_unbilled": "Unbilled credits",
    "cost_usd": "Cost",
    "cost_usd_input": "Input cost",
    "cost_usd_cached": "Cached-input cost",
    "cost_usd_cache_write": "Cache-write cost",
    "cost_usd_output": "Output cost",
    "cost_usd_images": "Image cost",
    "cost_usd_tools": "Tool fees",
    "revenue_usd": "Revenue",
    "margin_usd": "Margin",
    "margin_pct": "Margin %",
    "success_rate": "Success rate",
    "cost_per_1k_tokens": "Cost per 1k text tokens",
    "method": "Method",
    "month_to_date_usd": "Month to date",
    "rest_of_month_usd": "Rest of month (forecast)",
    "month_total_usd": "Month total (forecast)",
    "next_30_days_usd": "Next 30 days (forecast)",
    "modified_z": "Modified z-score",
    "created_at": "When",
    "operation": "Operation",
    "provider": "Provider",
    "request_id": "Request id",
    "operation_mean_usd": "Operation's mean cost",
}


def label(column: str) -> str:
    return LABELS.get(column) or column.replace("_", " ").capitalize()


def is_money(column: str) -> bool:
    return column.startswith("cost_") or column.endswith("_usd")


def money(value) -> str:
    """$21.46, $1,234.50; below a cent, two significant digits ($0.00042); never 0E-8."""
    if value is None:
        return "—"
    value = Decimal(str(value)) if not isinstance(value, Decimal) else value
    if not value.is_finite():
        return "—"
    sign, size = ("-" if value < 0 else ""), abs(value)
    if size == 0 or size >= CENT:
        return f"{sign}${size.quantize(CENT):,}"
    places = Decimal(1).scaleb(size.adjusted() - 1)  # two significant digits
    return f"{sign}${format(size.quantize(places).normalize(), 'f')}"


def unit_price(value) -> str:
    """A unit price as the catalog keeps it, exactly: $0.00015, $0.04, $0 (never 0E-10,
    never rounded: a price is not an amount)."""
    if value is None:
        return "—"
    value = Decimal(str(value)) if not isinstance(value, Decimal) else value
    if not value.is_finite():
        return "—"
    return f"${format(value.normalize(), 'f')}" if value else "$0"


def cell(value, column: str) -> str:
    """A table cell as people read it."""
    if value is None:
        return "—"
    if is_money(column):
        return money(value)
    if column in ("margin_pct", "success_rate"):
        percent = value * 100 if column == "success_rate" else value
        return f"{percent:,.1f}%"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "—"
        return f"{value:,.2f}"
    return str(value)
