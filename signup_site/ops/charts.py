"""Bar charts drawn on the server as SVG: no JavaScript, nothing from a CDN.

Each chart is an image to assistive technology (`role="img"`) named by its
`<title>` and summarised by its `<desc>`; the page puts the same figures in a
table beside it, which is what a screen reader reads. Colours have at least
3:1 contrast with the white background (WCAG 2.2, 1.4.11) and stacked
segments are parted by a white line, so no figure depends on telling two
colours apart: the legend and the table name every series.
"""

import math
from dataclasses import dataclass
from datetime import date

from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from .figures import Daily

# Dark blue, burnt orange, green, purple, grey, ochre: each ≥ 4.5:1 on white.
PALETTE = ("#1f4e99", "#b8410f", "#2d7a3a", "#7b3294", "#5c5c5c", "#806600")
WIDTH, PLOT_HEIGHT = 720, 188
LEFT, RIGHT, TOP, AXIS = 56, 12, 16, 28
LEGEND_ROW = 20


def nice_ceiling(value: float) -> float:
    """The top of the scale: four gridline steps of 1, 2 or 5 times 10^k, the
    smallest that reach `value` (so counts get whole-number gridlines)."""
    if value <= 4:
        return 4.0
    wanted = value / 4
    power = 10 ** math.floor(math.log10(wanted))
    return 4 * next(step * power for step in (1, 2, 5, 10) if step * power >= wanted)


def _figure(value: float) -> str:
    return number_format(round(value, 1) if value % 1 else int(value))


@dataclass(frozen=True)
class Chart:
    """One chart and the table behind it: `key` makes its ids unique on the page."""

    key: str
    title: str
    desc: str
    figures: Daily
    stacked: bool = True

    @property
    def series(self) -> list[tuple[str, str]]:
        return [(s.label, PALETTE[n % len(PALETTE)]) for n, s in enumerate(self.figures.series)]

    def _legend_rows(self) -> list[list[tuple[str, str, float]]]:
        """The legend's entries (label, colour, x), wrapped to the chart's width."""
        rows: list[list[tuple[str, str, float]]] = [[]]
        x = float(LEFT)
        for label, colour in self.series:
            width = 24 + 7 * len(label)
            if rows[-1] and x + width > WIDTH - RIGHT:
                rows.append([])
                x = float(LEFT)
            rows[-1].append((label, colour, x))
            x += width
        return rows

    @property
    def svg(self) -> SafeString:
        days = self.figures.days
        legend = self._legend_rows()
        height = TOP + PLOT_HEIGHT + AXIS + LEGEND_ROW * len(legend)
        plot_w, plot_h = WIDTH - LEFT - RIGHT, PLOT_HEIGHT
        if self.stacked:
            peak = max(self.figures.totals, default=0)
        else:
            peak = max((v for s in self.figures.series for v in s.values), default=0)
        top = nice_ceiling(peak)
        slot = plot_w / max(len(days), 1)
        parts: list[str] = [
            format_html('<rect x="0" y="0" width="{}" height="{}" fill="#ffffff"/>', WIDTH, height)
        ]
        for step in range(5):
            value = top * step / 4
            y = TOP + plot_h - plot_h * step / 4
            parts.append(
                format_html(
                    '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#767676" stroke-width="{}"/>'
                    '<text x="{}" y="{}" text-anchor="end" font-size="11" fill="#1a1a1a">{}</text>',
                    LEFT,
                    WIDTH - RIGHT,
                    f"{y:.1f}",
                    f"{y:.1f}",
                    1 if step == 0 else 0.5,
                    LEFT - 6,
                    f"{y + 4:.1f}",
                    _figure(value),
                )
            )
        parts += self._bars(days, slot, plot_h, top)
        label_every = max(1, math.ceil(len(days) / 10))
        for n, day in enumerate(days):
            if n % label_every == 0:
                x = LEFT + slot * n + slot / 2
                parts.append(
                    format_html(
                        '<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="#1a1a1a">{}</text>',
                        f"{x:.1f}",
                        TOP + plot_h + 16,
                        f"{day:%d %b}",
                    )
                )
        parts += self._legend(legend, TOP + plot_h + AXIS + 14)
        return format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" '
            'class="ops-chart" role="img" aria-labelledby="{k}-title {k}-desc">'
            '<title id="{k}-title">{title}</title><desc id="{k}-desc">{desc}</desc>{body}</svg>',
            w=WIDTH,
            h=height,
            k=self.key,
            title=self.title,
            desc=self.desc,
            body=mark_safe("".join(parts)),  # noqa: S308 (every part built by format_html)
        )

    def _bars(self, days: tuple[date, ...], slot: float, plot_h: float, top: float) -> list[str]:
        parts: list[str] = []
        colours = [colour for _label, colour in self.series]
        count = max(len(self.figures.series), 1)
        bar_w = slot * 0.8 if self.stacked else slot * 0.8 / count
        for n, day in enumerate(days):
            base = TOP + plot_h
            for index, series in enumerate(self.figures.series):
                value = series.values[n]
                if value <= 0:
                    continue
                height = plot_h * value / top
                x = LEFT + slot * n + slot * 0.1 + (0 if self.stacked else bar_w * index)
                y = base - height if self.stacked else TOP + plot_h - height
                parts.append(
                    format_html(
                        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#ffffff" '
                        'stroke-width="1"><title>{}: {} {}</title></rect>',
                        f"{x:.1f}",
                        f"{y:.1f}",
                        f"{bar_w:.1f}",
                        f"{height:.1f}",
                        colours[index],
                        f"{day:%Y-%m-%d}",
                        series.label,
                        _figure(value),
                    )
                )
                if self.stacked:
                    base -= height
        return parts

    def _legend(self, rows: list[list[tuple[str, str, float]]], first_y: float) -> list[str]:
        parts: list[str] = []
        for n, row in enumerate(rows):
            y = first_y + LEGEND_ROW * n
            for label, colour, x in row:
                parts.append(
                    format_html(
                        '<rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
                        '<text x="{}" y="{}" font-size="12" fill="#1a1a1a">{}</text>',
                        f"{x:.1f}",
                        y - 10,
                        colour,
                        f"{x + 16:.1f}",
                        y,
                        label,
                    )
                )
        return parts
