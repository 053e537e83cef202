"""The iMIS mirror as payment pages read it: names behind party ids, invoices by id."""

from imis_client.models import ImisInvoice, ImisParty


def party_names(ids) -> dict[str, str]:
    ids = [i for i in ids if i]
    return dict(ImisParty.objects.filter(imis_id__in=ids).values_list("imis_id", "name"))


def invoices_by_id(ids) -> dict[str, ImisInvoice]:
    return {inv.imis_id: inv for inv in ImisInvoice.objects.filter(imis_id__in=list(ids))}
