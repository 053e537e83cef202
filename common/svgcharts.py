"""Charts drawn on the server as SVG: the same drawing on a page and in a PDF (no script runs
in a PDF renderer). Values are numbers already computed; labels are escaped here."""

from dataclasses import dataclass
from decimal import Decimal
from html import escape

PALETTE = ("#1f4e8c", "#1d6b3a", "#b5651d", "#8c1f4e", "#5b5b5b", "#6b1d6b")


@dataclass(frozen=True)
class Series:
    label: str
    values: list  # numbers (Decimal, int, float) or None for a gap


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)


def _fmt(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value / 1000:,.0f}k" if abs(value) >= 10000 else f"{value / 1000:,.1f}k"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def chart_svg(
    *,
    title: str,
    labels: list[str],
    series: list[Series],
    kind: str = "bar",  # bar | line
    width: int = 640,
    height: int = 240,
    percent: bool = False,
) -> str:
    """An SVG chart with axes, gridlines, a legend and one group of bars (or one line) per
    series; its ``<title>`` and ``aria-label`` say what it shows."""
    left, right, top, bottom = 56, 12, 28, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    numbers = [float(v) for s in series for v in s.values if v is not None]
    low = min([0.0, *numbers])
    high = 100.0 if percent else _nice_max(max([0.0, *numbers]))
    if low < 0:
        low = -_nice_max(-low)
    span = (high - low) or 1.0

    def y(value: float) -> float:
        return top + plot_h * (1 - (value - low) / span)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        'font-family="DejaVu Sans, Arial, sans-serif" font-size="10">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
    ]
    for i in range(5):
        value = low + span * i / 4
        gy = y(value)
        tick = f"{value:.0f}%" if percent else _fmt(value)
        parts.append(
            f'<line x1="{left}" y1="{gy:.1f}" x2="{width - right}" y2="{gy:.1f}" '
            'stroke="#ddd" stroke-width="1"/>'
            f'<text x="{left - 4}" y="{gy + 3:.1f}" text-anchor="end" fill="#444">{tick}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" stroke="#888"/>'
    )
    n = max(1, len(labels))
    slot = plot_w / n
    for i, label in enumerate(labels):
        parts.append(
            f'<text x="{left + slot * (i + 0.5):.1f}" y="{height - bottom + 14}" '
            f'text-anchor="middle" fill="#444">{escape(str(label))}</text>'
        )
    for s_index, s in enumerate(series):
        colour = PALETTE[s_index % len(PALETTE)]
        if kind == "line":
            points = [
                f"{left + slot * (i + 0.5):.1f},{y(float(v)):.1f}"
                for i, v in enumerate(s.values)
                if v is not None
            ]
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                f'points="{" ".join(points)}"/>'
            )
            for point in points:
                cx, cy = point.split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{colour}"/>')
            continue
        bar_w = slot * 0.8 / max(1, len(series))
        for i, v in enumerate(s.values):
            if v is None:
                continue
            x = left + slot * i + slot * 0.1 + bar_w * s_index
            y0, y1 = sorted((y(0), y(float(v))))
            parts.append(
                f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bar_w:.1f}" '
                f'height="{max(0.5, y1 - y0):.1f}" fill="{colour}">'
                f"<title>{escape(s.label)} {escape(str(labels[i]))}: {escape(str(v))}</title>"
                "</rect>"
            )
    legend_x = left
    for s_index, s in enumerate(series):
        colour = PALETTE[s_index % len(PALETTE)]
        parts.append(
            f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{legend_x + 14}" y="{height - 5}">{escape(s.label)}</text>'
        )
        legend_x += 24 + 7 * len(s.label)
    parts.append("</svg>")
    return "".join(parts)


def as_number(value) -> float | None:
    """A figure as a chart value (charts only; money stays Decimal everywhere else)."""
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal | int | float) else None
