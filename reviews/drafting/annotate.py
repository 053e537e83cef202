"""A draft's text as HTML with each flag marked on the words it concerns and its message
written right after them. All text is escaped: drafts may quote what members wrote."""

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

SEVERITY_LABEL = {"block": "Blocks approval", "warn": "Warning"}


def _note(flag: dict, number: int) -> str:
    return format_html(
        '<span class="flag-note flag-note-{}" role="note" data-code="{}">'
        '<span class="flag-no">{}</span> {}: {}</span>',
        flag["severity"],
        flag["code"],
        number,
        SEVERITY_LABEL.get(flag["severity"], ""),
        flag["message"],
    )


def positioned(flags: list[dict], field: str, length: int) -> list[dict]:
    return [
        f
        for f in flags
        if f.get("field", "body") == field
        and f.get("start") is not None
        and f.get("end") is not None
        and 0 <= f["start"] < f["end"] <= length
    ]


def annotate(text: str, flags: list[dict], field: str = "body") -> SafeString:
    """Escaped text with <mark> around flagged spans, each followed by its numbered note."""
    text = text or ""
    spans = sorted(positioned(flags, field, len(text)), key=lambda f: (f["start"], f["end"]))
    regions: list[list] = []  # [start, end, [flags]] merged where flags overlap
    for flag in spans:
        if regions and flag["start"] < regions[-1][1]:
            regions[-1][1] = max(regions[-1][1], flag["end"])
            regions[-1][2].append(flag)
        else:
            regions.append([flag["start"], flag["end"], [flag]])
    out, pos, number = [], 0, 0
    for start, end, group in regions:
        out.append(escape(text[pos:start]))
        severity = "block" if any(f["severity"] == "block" for f in group) else "warn"
        notes = []
        for flag in group:
            number += 1
            notes.append(_note(flag, number))
        out.append(
            format_html(
                '<mark class="flag flag-{}" data-codes="{}">{}</mark>',
                severity,
                " ".join(f["code"] for f in group),
                text[start:end],
            )
        )
        out.append("".join(notes))
        pos = end
    out.append(escape(text[pos:]))
    return mark_safe("".join(str(piece) for piece in out))  # noqa: S308 (every piece escaped)


def general(flags: list[dict], subject: str = "", body: str = "") -> list[dict]:
    """Flags about the whole message rather than some words of it."""
    lengths = {"subject": len(subject or ""), "body": len(body or "")}
    placed = {id(f) for fld, n in lengths.items() for f in positioned(flags, fld, n)}
    return [f for f in flags if id(f) not in placed]
