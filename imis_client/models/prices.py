"""Mirror of dues, chapter and subscription item prices (``GET /api/Item``, CONTRACT.md)."""

from django.db import models

from imis_client.models.mirror import MirrorModel


class ImisItemPrice(MirrorModel):
    """An item billed for membership (dues, chapter dues, a subscription) and its prices.

    ``schedule`` is every price the site publishes for the item, each with the date it takes
    effect (null: the current price, in force until a dated one takes over), as
    ``[{"price": "325.00", "effective": "2026-01-01" | null, "label": "future price"}]``;
    ``price``, ``future_price`` and ``future_date`` are the same for display. ``shape`` names the
    fields the site served them in (the price fields vary by site, CONTRACT.md [U]).
    """

    code = models.CharField(max_length=80, db_index=True)
    name = models.CharField(max_length=200, blank=True)
    item_class = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, blank=True)
    member_type = models.CharField(
        max_length=20, blank=True, help_text="The member type the item bills, when iMIS says."
    )
    price = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    future_price = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    future_date = models.DateField(null=True, blank=True)
    shape = models.CharField(max_length=20, blank=True)
    schedule = models.JSONField(default=list)

    class Meta(MirrorModel.Meta):
        ordering = ["code"]
        verbose_name = "iMIS item price"

    def __str__(self) -> str:
        return f"{self.code}: {self.price}"
