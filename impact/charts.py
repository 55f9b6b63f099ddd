"""Charts drawn on the server as inline SVG: bars or a line over a series of (label, value) points,
with a labelled value axis and an accessible <title> and <desc> (the desc reads every point
aloud). No JavaScript and no library: a chart is a few hundred bytes of markup, which keeps the
dashboard inside the page budget on a slow phone, and it scales to the screen's width (viewBox,
width 100%) so a 360 px phone never scrolls sideways.

Values are Decimal (money) or int (counts); coordinates are floats, which is fine for drawing:
every number a person reads is formatted from the exact value."""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from itertools import count

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 320, 168
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 10, 26  # room for the value axis' and the label axis' text
MAX_X_LABELS = 6  # more would overlap at 320 units wide: the others are left out (the desc has all)
_ids = count(1)


@dataclass(frozen=True)
class Point:
    label: str
    value: Decimal | int


def nice_ceiling(value: Decimal) -> Decimal:
    """The axis' top: the smallest of 1, 2, 2.5, 5 × 10ⁿ at least `value` (1 for nothing)."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        top = step.scaleb(exponent)
        if top >= value:
            return top
    return Decimal(10).scaleb(exponent)  # pragma: no cover - 10 × 10ⁿ always reaches value


def format_value(value: Decimal | int, money: bool) -> str:
    if money:
        return f"{Decimal(value).quantize(Decimal('0.01')):,}"
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return f"{value.quantize(Decimal('0.01')):,}"
    return f"{int(value):,}"


def axis_label(value: Decimal) -> str:
    """Short tick text: 12000 → 1.2万, as Chinese readers count."""
    if value >= 10000:
        short = (value / 10000).quantize(Decimal("0.1"), rounding=ROUND_CEILING).normalize()
        return f"{short:f}万"
    return f"{value.normalize():f}"


def chart(
    points: list[Point], *, title: str, desc: str = "", money: bool = False, kind: str = "bars", unit: str = ""
) -> SafeString:
    """An SVG chart of `points` in order. `title` names it for screen readers (and shows as a
    tooltip); `desc` introduces the values, which are appended point by point."""
    chart_id = f"chart{next(_ids)}"
    top = nice_ceiling(max([Decimal(point.value) for point in points] + [Decimal(0)]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value) -> float:
        return TOP + plot_h - float(Decimal(value) / top) * plot_h

    def n(number: float) -> str:
        return f"{number:.1f}"

    spoken = "；".join(f"{point.label}：{format_value(point.value, money)}{unit}" for point in points)
    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="{}-t {}-d" '
            'xmlns="http://www.w3.org/2000/svg">'
            '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>',
            WIDTH,
            HEIGHT,
            chart_id,
            chart_id,
            chart_id,
            title,
            chart_id,
            f"{desc} {spoken}".strip() if points else desc,
        )
    ]
    # The value axis: 0, half and the top, with faint grid lines.
    for tick in (Decimal(0), top / 2, top):
        parts.append(
            format_html(
                '<line class="chart-grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="chart-axis" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                n(y(tick)),
                n(y(tick)),
                LEFT - 4,
                n(y(tick) + 4),
                axis_label(tick),
            )
        )
    if points:
        slot = plot_w / len(points)
        every = max(1, -(-len(points) // MAX_X_LABELS))
        if kind == "line":
            coords = " ".join(f"{n(LEFT + slot * (i + 0.5))},{n(y(point.value))}" for i, point in enumerate(points))
            parts.append(format_html('<polyline class="chart-line" points="{}"/>', coords))
            parts.append(
                format_html_join(
                    "",
                    '<circle class="chart-dot" cx="{}" cy="{}" r="2.5"/>',
                    ((n(LEFT + slot * (i + 0.5)), n(y(point.value))) for i, point in enumerate(points)),
                )
            )
        else:
            bar_w = max(slot * 0.7, 1.0)
            parts.append(
                format_html_join(
                    "",
                    '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}"/>',
                    (
                        (
                            n(LEFT + slot * i + (slot - bar_w) / 2),
                            n(y(max(Decimal(point.value), Decimal(0)))),
                            n(bar_w),
                            n(TOP + plot_h - y(max(Decimal(point.value), Decimal(0)))),
                        )
                        for i, point in enumerate(points)
                    ),
                )
            )
        parts.append(
            format_html_join(
                "",
                '<text class="chart-axis" x="{}" y="{}" text-anchor="middle">{}</text>',
                (
                    (n(LEFT + slot * (i + 0.5)), HEIGHT - 8, point.label)
                    for i, point in enumerate(points)
                    if i % every == 0
                ),
            )
        )
    parts.append(
        format_html('<line class="chart-base" x1="{}" x2="{}" y1="{}" y2="{}"/>', LEFT, WIDTH - RIGHT, n(y(0)), n(y(0)))
    )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped by format_html
