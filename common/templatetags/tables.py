"""Template tags for tables: sortable column headers and keyset pager links."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_header(context, column: str, label: str, current: str) -> str:
    """A header link that sorts by column, toggling direction when it is already the sort."""
    request = context["request"]
    params = request.GET.copy()
    params.pop("cursor", None)
    active = current.lstrip("-") == column
    descending = current.startswith("-")
    params["sort"] = column if (active and descending) else f"-{column}"
    arrow = ("▼" if descending else "▲") if active else ""
    aria = ("descending" if descending else "ascending") if active else "none"
    return format_html(
        '<a href="?{}" class="sort-link" data-sort="{}" data-sort-dir="{}">'
        '{} <span aria-hidden="true">{}</span></a>',
        params.urlencode(),
        column,
        aria,
        label,
        arrow,
    )


@register.inclusion_tag("common/partials/_pager.html", takes_context=True)
def pager(context, page) -> dict:
    request = context["request"]
    params = request.GET.copy()
    params.pop("cursor", None)
    first = params.urlencode()
    next_url = None
    if page.next_cursor:
        params["cursor"] = page.next_cursor
        next_url = params.urlencode()
    return {"page": page, "first_url": first, "next_url": next_url}
