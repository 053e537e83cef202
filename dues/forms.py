"""Forms of the payment pages: file upload, check entry, refund."""

from django import forms
from django.utils import timezone

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
