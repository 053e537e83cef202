"""Who may import whom (GUIDE.md §2), and the sandbox kept out of the product; templates name
the URLs of the same apps their app may import.

Every module of the product packages is read with ``ast``, not imported, so an import inside a
function, under ``TYPE_CHECKING`` or in a migration counts as much as one at the top, and so does
``importlib.import_module("...")`` with a literal name.
"""

import ast
import re
from pathlib import Path

from django.conf import settings

from config.settings import base, demo

ROOT = Path(__file__).resolve().parent.parent
APPS = ("common", "imis_client", "reviews", "renewals", "dues")
PRODUCT = (*APPS, "config")
# Settings that install the sandbox: tooling, not product.
TOOLING_MODULES = {"config.settings.demo", "config.settings.test"}
# Packages of this repository that are not product: no product module imports them.
NOT_PRODUCT = ("sandbox", "tests", "bench")

# What each product package may import from this repository, itself included (GUIDE.md §2).
MAY_IMPORT = {
    "common": {"common"},
    "imis_client": {"common", "imis_client"},
    "reviews": {"common", "imis_client", "reviews"},
    "renewals": {"common", "imis_client", "reviews", "renewals"},
    "dues": {"common", "imis_client", "reviews", "dues"},
    "config": set(PRODUCT),
}

# Known breaches of MAY_IMPORT, each with its reason: (importing module, imported module) -> why.
# An entry is a debt recorded, not a permission; none at the time of writing.
ALLOWED_EXCEPTIONS: dict[tuple[str, str], str] = {}


def product_modules() -> list[tuple[str, Path]]:
    """(dotted name, path) of every module of the product packages but the tooling settings."""
    found = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            if name not in TOOLING_MODULES:
                found.append((name, path))
    return found


def imports_of(name: str, path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import in the module, relative ones made absolute."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                module = node.module
            found.append((node.lineno, module))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return sorted(found)


def breaches(allowed) -> list[str]:
    """``path:line: module imports other`` for every import of this repository ``allowed``
    refuses; ``allowed(importer package, importing module, imported module)``."""
    ours = {*PRODUCT, *NOT_PRODUCT}
    found = []
    for name, path in product_modules():
        for line, imported in imports_of(name, path):
            top = imported.split(".")[0]
            if top in ours and not allowed(name.split(".")[0], name, imported):
                found.append(f"{path.relative_to(ROOT)}:{line}: {name} imports {imported}")
    return found


def test_product_modules_never_import_the_sandbox_or_other_tooling():
    found = breaches(lambda package, name, imported: imported.split(".")[0] not in NOT_PRODUCT)

    assert found == [], "The product imports demo or test tooling:\n" + "\n".join(found)


def test_product_packages_import_only_what_the_guide_allows():
    def allowed(package, name, imported):
        top = imported.split(".")[0]
        return (
            top in NOT_PRODUCT  # the test above
            or top in MAY_IMPORT[package]
            or (name, imported) in ALLOWED_EXCEPTIONS
        )

    found = breaches(allowed)

    assert found == [], "Imports GUIDE.md §2 does not allow:\n" + "\n".join(found)


def test_allowed_exceptions_name_imports_that_still_exist():
    imports = {
        (name, imported)
        for name, path in product_modules()
        for _, imported in imports_of(name, path)
    }

    stale = sorted(set(ALLOWED_EXCEPTIONS) - imports)

    assert stale == [], f"Remove these ALLOWED_EXCEPTIONS entries, the imports are gone: {stale}"


def test_imports_of_reads_nested_relative_and_literal_dynamic_imports(tmp_path):
    module = tmp_path / "services.py"
    module.write_text(
        "from . import models\n"
        "from ..common import money\n"
        "def later():\n"
        "    import sandbox.imis\n"
        "    importlib.import_module('sandbox.payments')\n"
    )

    found = imports_of("dues.payments.services", module)

    assert found == [
        (1, "dues.payments"),
        (2, "dues.common"),
        (4, "sandbox.imis"),
        (5, "sandbox.payments"),
    ]


def test_sandbox_app_is_installed_by_the_demo_and_test_settings_only():
    assert "sandbox" not in base.INSTALLED_APPS
    assert "sandbox" in demo.INSTALLED_APPS
    assert "sandbox" in settings.INSTALLED_APPS


def test_templates_name_only_urls_of_apps_their_app_may_import():
    # A page of a lower app shows what higher apps add through common.navigation's registries
    # (member-page panels, registered pages), never by naming their URLs.
    found = [
        f"{path.relative_to(ROOT)}:{number}: names {namespace}"
        for app in APPS
        for path in sorted((ROOT / "templates" / app).rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for namespace in re.findall(r"\{%\s*url\s+['\"](\w+):", line)
        if namespace not in MAY_IMPORT[app]
    ]

    assert found == [], "Templates naming URLs of apps theirs may not import:\n" + "\n".join(found)
