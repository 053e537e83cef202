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
