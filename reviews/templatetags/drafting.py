"""Template filters of the drafting pages: a draft's text with its flags marked inline."""

from django import template

from reviews.drafting.annotate import annotate, general

register = template.Library()


@register.simple_tag
def annotated(text, flags, field="body"):
    return annotate(text or "", flags or [], field)


@register.simple_tag
def general_flags(flags, subject="", body=""):
    return general(flags or [], subject or "", body or "")


@register.filter
def count_severity(flags, severity):
    return sum(1 for f in flags or [] if f.get("severity") == severity)
