"""The htmx helper: one view answers a fragment to htmx and the whole page otherwise."""

from django.shortcuts import render


def render_page_or_partial(request, page: str, partial: str, context: dict, **kwargs):
    template = partial if getattr(request, "htmx", False) else page
    return render(request, template, context, **kwargs)
