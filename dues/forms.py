"""Forms of the payment pages (file upload, check entry, refund) and of the payment-application
review item (its edit form, with member pickers and invoice rows)."""

from django import forms
from django.utils import timezone

from common.errors import DomainError
from common.money import ZERO, format_money, typed_money
from dues import selectors

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Bank file",
        help_text="A BAI2 file from the bank, or a CSV with the columns date, amount, payer "
        "name, reference, memo, method.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size // (1024 * 1024)} MB; files up to 20 MB are accepted. "
                "Split it by day."
            )
        return upload


class CheckForm(forms.Form):
    check_number = forms.CharField(label="Check number", max_length=40)
    amount = forms.DecimalField(label="Amount", max_digits=12, decimal_places=2, min_value=0.01)
    received_on = forms.DateField(
        label="Received on",
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    payer_name = forms.CharField(label="Payer name (as printed)", max_length=300)
    payer_email = forms.EmailField(label="Payer email", required=False)
    memo = forms.CharField(
        label="Memo line / enclosed remittance",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RefundForm(forms.Form):
    amount = forms.DecimalField(label="Amount refunded", max_digits=12, decimal_places=2)
    reference = forms.CharField(label="Refund reference", max_length=120, required=False)


class MoneyField(forms.Field):
    """An amount as a person types it ("1,200.50", "$95"): Decimal cents, or None when blank."""

    widget = forms.TextInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        try:
            if len(str(value or "")) > 20:
                raise ValueError(value)
            return typed_money(value)
        except ValueError:
            raise forms.ValidationError(f"“{value}” is not an amount.", code="invalid") from None

    def prepare_value(self, value):
        return "" if value is None else str(value)


class PaymentApplicationForm(forms.Form):
    """A payment application edited on its review item's page, made from ``PaymentApplication``:
    the action, the member and payer as member pickers, one row per invoice (open balance and
    the amount to apply), another invoice by number, and credit on account, with a running total
    against the payment (static/js/payment-application.js). The kind's checks run in ``clean``,
    so what the page accepts is what the item's service accepts. The review item page includes
    ``template_name`` with the form."""

    template_name = "dues/partials/_application_form.html"
    use_required_attribute = False  # Accept and Reject submit the same HTML form

    action = forms.ChoiceField(label="Action", widget=forms.RadioSelect)
    member = forms.CharField(
        label="Member (whose invoices are paid)",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"class": "party-id", "autocomplete": "off"}),
    )
    payer = forms.CharField(
        label="Payer (billed and credited; blank: the member)",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"class": "party-id", "autocomplete": "off"}),
    )
    other_invoice = forms.CharField(label="Another invoice (number)", required=False, max_length=40)
    other_amount = MoneyField(label="Amount for the other invoice")
    credit = MoneyField(label="Credit on account")

    class Media:
        css = {"all": ["css/dues.css"]}
        js = [forms.Script("js/payment-application.js", defer=True)]

    def __init__(self, data=None, *, item, **kwargs):
        from dues.kinds import ACTION_LABELS, PaymentApplication
        from dues.models import Payment

        self.application = PaymentApplication.from_payload(item.payload)
        self.payment = Payment.objects.filter(pk=self.application.payment_id).first()
        initial = {
            "action": self.application.action,
            "member": self.application.member_id,
            "payer": self.application.payer_id,
            "credit": self.application.credit,
        }
        super().__init__(data, initial=initial, **kwargs)
        self.fields["action"].choices = list(ACTION_LABELS.items())
        self.fields["other_amount"].widget.attrs["data-amount"] = ""
        self.fields["credit"].widget.attrs.update({"data-amount": "", "data-credit": ""})
        amounts = {a.invoice_id: a.amount for a in self.application.allocations}
        found = (
            selectors.application_invoices(self.payment, self.application) if self.payment else []
        )
        self.rows = []
        for invoice_id, invoice in found:
            name = f"amount_{invoice_id}"
            number = invoice.number if invoice else invoice_id
            self.fields[name] = MoneyField(
                label=f"Amount for invoice {number}", initial=amounts.get(invoice_id)
            )
            self.fields[name].widget.attrs.update(
                {"data-amount": "", "aria-label": f"Amount for invoice {number}"}
            )
            self.rows.append({"invoice_id": invoice_id, "number": number, "invoice": invoice})
        for row in self.rows:
            row["field"] = self[f"amount_{row['invoice_id']}"]
        # Member pickers: the id field, the name it stands for, and a search over the mirror's
        # parties (dues:party_search, htmx) whose result the script puts in the id field.
        ids = {f: str(self[f].value() or "").strip() for f in ("member", "payer")}
        names = selectors.party_names(ids.values())
        self.pickers = [
            {"field": self[f], "name": names.get(ids[f], ""), "search_label": f"Search for the {f}"}
            for f in ("member", "payer")
        ]

    def clean(self):
        from dues.kinds import Allocation, PaymentApplication, checked_many

        data = super().clean()
        for row in self.rows:
            amount = data.get(f"amount_{row['invoice_id']}")
            if amount is not None and amount < 0:
                self.add_error(
                    f"amount_{row['invoice_id']}",
                    f"The amount for invoice {row['number']} cannot be negative.",
                )
        other, other_amount = (data.get("other_invoice") or "").strip(), data.get("other_amount")
        if other_amount is not None and other_amount < 0:
            self.add_error("other_amount", "The amount for the other invoice cannot be negative.")
        elif other_amount and not other:
            self.add_error("other_invoice", "Name the invoice the other amount is for.")
        elif other and not other_amount:
            self.add_error("other_amount", f"Enter the amount for invoice {other}.")
        if data.get("credit") is not None and data["credit"] < 0:
            self.add_error("credit", "The credit on account cannot be negative.")
        if self.errors:
            return data
        allocations = [
            Allocation(row["invoice_id"], data[f"amount_{row['invoice_id']}"])
            for row in self.rows
            if data.get(f"amount_{row['invoice_id']}")
        ]
        if other:
            allocations.append(Allocation(other, other_amount))
        if data["action"] == "not_ours":
            application = PaymentApplication.not_ours(self.application.payment_id)
        else:
            application = PaymentApplication(
                payment_id=self.application.payment_id,
                action=data["action"],
                member_id=data["member"].strip(),
                payer_id=data["payer"].strip(),
                allocations=tuple(allocations),
                credit=data.get("credit") or ZERO,
            )
        try:
            (self.checked,) = checked_many([application.to_payload()])
        except DomainError as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from None
        return data

    def payload(self) -> dict:
        """The edited payload, once the form is valid."""
        return self.checked.to_payload()

    def running_total(self) -> dict:
        """The amounts shown (typed, or as proposed) against the payment, for the page as it is
        served; the script keeps it current while the person types."""
        names = [f"amount_{row['invoice_id']}" for row in self.rows] + ["other_amount", "credit"]
        total = ZERO
        for name in names:
            try:
                total += self.fields[name].to_python(self[name].value() or "") or ZERO
            except forms.ValidationError:
                continue
        payment = self.payment.available if self.payment else ZERO
        currency = self.payment.currency if self.payment else "USD"
        left = payment - total

        def money(amount):
            return format_money(amount, currency)

        if left == 0:
            balance = f"All {money(payment)} placed."
        elif left > 0:
            balance = f"{money(left)} of {money(payment)} left to place."
        else:
            balance = f"{money(-left)} more than the payment of {money(payment)}."
        return {
            "payment": str(payment),
            "currency": currency,
            "total": money(total),
            "balance": balance,
            "state": "ok" if left == 0 else "off",
        }
