"""Access-matrix rows for the drafting URLs; tests/common/test_access.py collects them.

MATRIX rows are (url name, kwargs, method, roles allowed[, deny code or codes]); kwargs values
that name a placeholder are resolved by objects(), which creates one of each object needed.
"""

MATRIX: list = []


def objects() -> dict:
    return {}
