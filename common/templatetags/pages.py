"""Template tags for links to pages other apps registered (common.navigation.register_page)."""

from django import template

from common.navigation import page_url as registered_page_url

register = template.Library()


@register.simple_tag
def page_url(name: str, *args) -> str:
    """``{% page_url "member" member_id as link %}``: "" when no app serves that page."""
    return registered_page_url(name, *args)
