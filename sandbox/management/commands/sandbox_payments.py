"""Demo and trials: incoming payments for the mirror's open invoices, from the sandbox generator.

Writes what the channels carry (payments.csv, payments.bai2, signed webhooks.jsonl, truth.json)
and, with --feed, sends them through intake as they would arrive: the bank files imported, the
webhooks POSTed to a running desk. Prints one JSON line.
"""

import json
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from common.errors import DomainError
from dues import intake
from imis_client.models import ImisInvoice, ImisParty


def book_from_mirror():
    """The mirror's open invoices and the parties they concern, as the generator's Book."""
    from sandbox.payments import Book, BookInvoice, BookParty

    rows = ImisInvoice.objects.filter(
        is_open=True, deleted_at__isnull=True, balance__gt=0, invoice_date__isnull=False
    )
    invoices = [
        BookInvoice(
            invoice_id=inv.imis_id,
            number=inv.number or inv.imis_id,
            member_id=inv.sold_to_id or inv.bill_to_id,
            payer_id=inv.bill_to_id or inv.sold_to_id,
            balance=int(inv.balance * 100),
            invoice_date=inv.invoice_date,
            description=inv.description,
        )
        for inv in rows.iterator(chunk_size=5000)
    ]
    ids = {i.member_id for i in invoices} | {i.payer_id for i in invoices}
    members = ImisParty.objects.filter(imis_id__in=ids)
    employers = set(members.exclude(primary_org_id="").values_list("primary_org_id", flat=True))
    parties = {
        p.imis_id: BookParty(
            party_id=p.imis_id,
            is_org=p.is_organization,
            first=p.first_name,
            last=p.last_name,
            middle=p.middle_name,
            prefix=p.prefix,
            suffix=p.suffix,
            informal=p.informal_name,
            org_name=p.name if p.is_organization else p.primary_org_name,
            org_id=p.primary_org_id,
            email=p.email,
        )
        for p in ImisParty.objects.filter(Q(imis_id__in=ids) | Q(imis_id__in=employers))
    }
    invoices = [i for i in invoices if i.member_id in parties and i.payer_id in parties]
    return Book(parties, invoices)


class Command(BaseCommand):
    help = "Generate sandbox payments for the mirror's open invoices; --feed sends them in."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=200)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--dir", default=".local/payments", help="where the files go")
        parser.add_argument("--feed", action="store_true", help="import and deliver them")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument(
            "--match",
            action="store_true",
            help="after feeding, wait for the workers to take the webhooks in, then match",
        )

    def handle(self, *args, count, seed, dir, feed, base_url, match, **options):
        from sandbox.payments import generate_payments, write_payment_files

        book = book_from_mirror()
        if not book.invoices:
            raise CommandError("The mirror has no open invoices: sync from iMIS first.")
        today = timezone.localdate()
        # The generator dates payments within 30 days after as_of: let them fall in the last month.
        payments = generate_payments(book, count, seed=seed, as_of=today - timedelta(days=30))
        directory = Path(dir)
        written = write_payment_files(
            payments,
            directory,
            as_of=today,
            stripe_secret=settings.STRIPE_WEBHOOK_SECRET,
            authorizenet_key=settings.AUTHORIZENET_SIGNATURE_KEY,
        )
        report = {"open_invoices": len(book.invoices), "written": written, "dir": str(directory)}
        if feed:
            report["imported"] = {}
            for name in ("payments.bai2", "payments.csv"):
                try:
                    record = intake.payment_import_file(
                        filename=name, content=(directory / name).read_bytes()
                    )
                except DomainError as exc:
                    raise CommandError(str(exc)) from exc
                report["imported"][name] = {"added": record.added, "errors": record.errors}
            out = StringIO()
            call_command(
                "deliver_webhooks",
                str(directory / "webhooks.jsonl"),
                base_url=base_url,
                resign=True,
                stdout=out,
            )
            report["webhooks"] = json.loads(out.getvalue())
        if match:
            report["match"] = self._match()
        self.stdout.write(json.dumps(report))

    def _match(self) -> dict:
        from django.db.models import Count

        from dues.models import Payment, WebhookEvent

        deadline = time.monotonic() + 120
        while WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).exists():
            if time.monotonic() > deadline:
                raise CommandError("The workers did not take the webhooks in within 120 s.")
            time.sleep(0.5)
        out = StringIO()
        call_command("match_payments", stdout=out)
        queue = dict(Payment.objects.values_list("status").annotate(n=Count("id")))
        return {"run": json.loads(out.getvalue()), "queue": queue}
