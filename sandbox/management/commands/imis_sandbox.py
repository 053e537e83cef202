"""``manage.py imis_sandbox``: serve a synthetic iMIS site for the demo and manual testing."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from sandbox.imis import FaultSpecError, SandboxApp, SandboxServer, generate


class Command(BaseCommand):
    help = "Generate a synthetic association and serve it as an iMIS REST API until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--profile",
            choices=["default", "b"],
            default="default",
            help="b: another association (other lapse causes, codes and write-off practice).",
        )
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="Site date of the generated data (YYYY-MM-DD); default today.",
        )
        parser.add_argument("--advance-days", type=int, default=0)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--username", default="sandbox")
        parser.add_argument("--password", default="sandbox")
        parser.add_argument("--faults", default="", help="e.g. latency=20ms,429=0.05,5xx=0.02")
        parser.add_argument("--token-ttl", type=int, default=1199)
        parser.add_argument(
            "--billing",
            type=float,
            default=0.0,
            metavar="RATE",
            help="Add chapter and subscription items and lines, and mis-billed invoices of every "
            "kind at this share of recent invoices each (e.g. 0.01); 0: none.",
        )
        parser.add_argument(
            "--billing-truth",
            default="",
            metavar="PATH",
            help="Write the billing scenarios' truth (one row per recent dues invoice) as CSV.",
        )
        parser.add_argument(
            "--adjustments",
            choices=("ok", "501", "404"),
            default="ok",
            help="How Invoice/_execute (ProcessCashAdjustment) answers: applies it, or 501/404 "
            "as a site that cannot take adjustments over REST.",
        )
        parser.add_argument(
            "--item-shape",
            choices=("sdk", "legacy", "itemprice"),
            default="sdk",
            help="How Item prices are served: TempDefaultPrice, the legacy PRICE_1 columns, or "
            "ItemPrice rows.",
        )
        parser.add_argument(
            "--payments-dir",
            default="",
            help="Also write incoming payments for the open invoices here (CSV, BAI2, signed "
            "webhooks, truth.json), then serve.",
        )
        parser.add_argument("--payments", type=int, default=200, help="How many payments.")
        parser.add_argument("--stripe-secret", default="whsec_sandbox")
        parser.add_argument("--authorizenet-key", default="SANDBOXSIGNATUREKEY")
        parser.add_argument(
            "--payments-only", action="store_true", help="Write the payment files and exit."
        )

    def handle(self, *args, **options):
        as_of = options["as_of"] or date.today()
        self.stdout.write(
            f"Generating {options['members']} members (seed {options['seed']}, "
            f"as of {as_of.isoformat()})..."
        )
        association = generate(
            options["members"], options["seed"], as_of, profile=options["profile"]
        )
        if options["advance_days"]:
            association.advance(options["advance_days"])
        association.set_item_shape(options["item_shape"])
        association.adjustments = options["adjustments"]
        if options["billing"]:
            from sandbox.imis.billing import add_billing

            truth = add_billing(association, rate=options["billing"])
            if options["billing_truth"]:
                truth.to_csv(options["billing_truth"], index=False)
            self.stdout.write(f"  billing scenarios: {int(truth['misbilled'].sum())} mis-billed")
        if options["payments_dir"]:
            self._write_payments(association, options)
            if options["payments_only"]:
                return
        try:
            app = SandboxApp(
                association,
                username=options["username"],
                password=options["password"],
                faults=options["faults"],
                token_ttl=options["token_ttl"],
            )
        except FaultSpecError as exc:
            raise CommandError(f"--faults: {exc}") from exc
        server = SandboxServer(app, host=options["host"], port=options["port"])
        base_url = server.bind()
        self.stdout.write(self.style.SUCCESS(f"iMIS sandbox at {base_url}"))
        self.stdout.write(f"  IMIS_BASE_URL={base_url}")
        self.stdout.write(f"  IMIS_USERNAME={options['username']}")
        self.stdout.write(f"  IMIS_PASSWORD={options['password']}")
        self.stdout.write(f"  control: {base_url}/_sandbox/  (advance, faults, counters)")
        self.stdout.write(f"  rows: {association.counts()}")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")

    def _write_payments(self, association, options) -> None:
        from pathlib import Path

        from sandbox.payments import book_from_association, generate_payments, write_payment_files

        book = book_from_association(association)
        if not book.invoices:
            raise CommandError("--payments-dir: the association has no open invoices to pay")
        payments = generate_payments(
            book, options["payments"], seed=options["seed"], as_of=association.today
        )
        counts = write_payment_files(
            payments,
            Path(options["payments_dir"]),
            as_of=association.today,
            stripe_secret=options["stripe_secret"],
            authorizenet_key=options["authorizenet_key"],
        )
        self.stdout.write(f"  payments written to {options['payments_dir']}: {counts}")
