"""Access-matrix rows for the billing URLs; tests/common/test_access.py collects them."""

from common import roles

M, F, MG, A = roles.MEMBERSHIP, roles.FINANCE, roles.MANAGER, roles.ADMINISTRATOR
FINANCE = {F, MG}

MATRIX: list = [
    ("dues:billing:policy", {}, "get", FINANCE),
    ("dues:billing:policy", {}, "post", {MG}),
]


def objects() -> dict:
    return {}
