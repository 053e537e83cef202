"""Cursor pagination for API lists: stable under inserts and as cheap on page 1,000 as page 1."""

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
