"""The board pack of a month: sections that apps register (renewals, cash application, review
work, receivables, deferred revenue), assembled in order, with a summary written from their
figures and a CSV of every figure.

common imports no app: renewals, reviews and dues each register the sections they can compute
(``register_section`` in ``AppConfig.ready``), so the pack is put together without any app
importing another. The deterministic summary is each section's own sentence from its own
figures; the page's summary (a chat model's when one is configured) and the check that every
number in it is one of the figures (the drafting guardrails' tracer) are
``dues.close.boardpack_summary``, since common imports no app.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from common.registry import Registry


@dataclass(frozen=True)
class Figure:
    key: str  # stable, for the CSV (``renewal_rate``)
    label: str
    value: str  # as shown: "84.2 %", "$12,340.00", "41 days"
    note: str = ""


@dataclass
class Section:
    key: str
    title: str
    figures: list[Figure]
    sentence: str = ""  # the section's line of the summary, made from its figures
    chart: str = ""  # an SVG drawing (common.svgcharts), the same on the page and in the PDF
    table: list[list[str]] = field(default_factory=list)  # first row: the header


@dataclass(frozen=True)
class SectionProvider:
    key: str
    title: str
    order: int
    build: Callable[[date], Section]  # the month's first day -> its section


_SECTIONS: Registry[SectionProvider] = Registry("board pack section")


def register_section(provider: SectionProvider) -> SectionProvider:
    return _SECTIONS.register(provider.key, provider)


@dataclass
class BoardPack:
    month: date
    sections: list[Section]

    @property
    def summary(self) -> list[str]:
        return [s.sentence for s in self.sections if s.sentence]

    def figures(self) -> list[tuple[Section, Figure]]:
        return [(s, f) for s in self.sections for f in s.figures]


def board_pack(month: date) -> BoardPack:
    """Every registered section of the month, in order; a section that fails says so in its
    place instead of the pack failing whole."""
    sections = []
    for provider in sorted(_SECTIONS.all(), key=lambda p: p.order):
        try:
            sections.append(provider.build(month))
        except Exception as exc:  # one app's figures missing must not hide the others
            sections.append(
                Section(
                    provider.key,
                    provider.title,
                    [Figure("error", "Not available", f"{type(exc).__name__}: {exc}"[:200])],
                )
            )
    return BoardPack(month, sections)


def board_pack_csv(pack: BoardPack) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["month", "section", "figure", "label", "value", "note"])
    for section, figure in pack.figures():
        writer.writerow(
            [
                f"{pack.month:%Y-%m}",
                section.key,
                figure.key,
                figure.label,
                figure.value,
                figure.note,
            ]
        )
    return out.getvalue()


def board_pack_pdf(html: str, *, base_url: str) -> bytes:
    """The pack's printable page as a PDF (WeasyPrint: Pango and HarfBuzz from the system)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).write_pdf()


def percent(share: float | None, digits: int = 1) -> str:
    return "n/a" if share is None else f"{share * 100:.{digits}f} %"
