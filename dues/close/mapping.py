"""The chart-of-accounts mapping: each ledger account of the close to the association's GL code
(and, for QuickBooks Online, the GL account's name). Each change is audited before and after."""

from django.conf import settings
from django.db import transaction

from common.audit import audit_record
from common.errors import DomainError
from dues.ledger import accounts
from dues.models import BankDeposit, GlEntryLine, GlMapping, Payment, RevenueLine

_CODE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._/ ")


def _dues_items() -> list[str]:
    from imis_client.models import ImisItem

    prefix = settings.BILLING_DUES_ITEM.split("{")[0]
    codes = ImisItem.objects.filter(code__startswith=prefix, deleted_at__isnull=True)
    return sorted(set(codes.values_list("code", flat=True)))[:200]


def ledger_accounts() -> list[str]:
    """Every account the close may write: the fixed ones, cash per source and bank account,
    dues revenue and deferred dues revenue per dues item, and any other account an entry of the
    GL or the revenue journal used."""
    names = set(accounts.FIXED)
    names.update(accounts.cash_account(source) for source in Payment.Source.values)
    banks = (
        BankDeposit.objects.exclude(account="")
        .exclude(kind=BankDeposit.Kind.STRIPE_PAYOUT)
        .values_list("account", flat=True)
        .distinct()[:100]
    )
    for bank in banks:
        try:
            names.add(accounts.cash_account(Payment.Source.BAI2, bank))
        except ValueError:
            continue
    for item in _dues_items():
        try:
            names.add(accounts.dues_revenue_account(item))
            names.add(accounts.deferred_revenue_account(item))
        except ValueError:
            continue
    names.update(GlEntryLine.objects.values_list("account", flat=True).distinct())
    names.update(RevenueLine.objects.values_list("account", flat=True).distinct())
    names.update(GlMapping.objects.values_list("account", flat=True))
    return sorted(names)


def mapping_rows() -> list[dict]:
    """The mapping page's rows: each account, what finance calls it, and its GL code and name."""
    mapped = {m.account: m for m in GlMapping.objects.select_related("updated_by")}
    return [
        {
            "account": name,
            "label": accounts.account_label(name),
            "mapping": mapped.get(name),
        }
        for name in ledger_accounts()
    ]


@transaction.atomic
def gl_mapping_set(*, account: str, gl_code: str, gl_name: str = "", user) -> GlMapping | None:
    """Map one account to a GL code (and name); an empty code removes the mapping."""
    if not accounts.is_account(account):
        raise DomainError(f"“{account}” is not a ledger account of the close.")
    gl_code = " ".join(str(gl_code or "").split())
    gl_name = " ".join(str(gl_name or "").split())[:120]
    if len(gl_code) > 40 or not set(gl_code) <= _CODE_CHARS:
        raise DomainError(
            f"GL code “{gl_code[:60]}” for {accounts.account_label(account)}: use up to 40 "
            "letters, digits, spaces and - . _ /."
        )
    found = GlMapping.objects.select_for_update().filter(account=account).first()
    before = {"gl_code": found.gl_code, "gl_name": found.gl_name} if found else None
    if not gl_code:
        if found is None:
            return None
        found.delete()
        after = None
    else:
        found = found or GlMapping(account=account)
        found.gl_code, found.gl_name, found.updated_by = gl_code, gl_name, user
        found.full_clean()
        found.save()
        after = {"gl_code": gl_code, "gl_name": gl_name}
    if before == after:
        return found
    audit_record(
        action="close.mapping_changed",
        summary=f"{accounts.account_label(account)}: GL code "
        f"{(before or {}).get('gl_code') or '(none)'} → {(after or {}).get('gl_code') or '(none)'}",
        actor=user,
        object_type="gl_mapping",
        object_id=account,
        data={"before": before, "after": after},
    )
    return found if after else None
