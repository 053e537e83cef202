"""Access-matrix rows for the receivables URLs; tests/common/test_access.py collects them."""

from common import roles

M, F, MG, A = roles.MEMBERSHIP, roles.FINANCE, roles.MANAGER, roles.ADMINISTRATOR
FINANCE = {F, MG}

MATRIX: list = [
    ("dues:receivables", {}, "get", FINANCE),
    ("api:dues:receivables", {}, "get", FINANCE),
]


def objects() -> dict:
    return {}
