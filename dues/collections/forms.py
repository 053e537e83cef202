"""Forms of dunning: a cadence step, a staff plan (create or change), a cancellation, an opt-out."""

from django import forms

from dues.collections.cadence import BANDS
from dues.collections.plans import MAX_INSTALMENTS, MIN_INSTALMENTS
from dues.models import DunningChannel, StepMode
from reviews.drafting.purposes import PURPOSE_SPECS


def _purposes() -> list[tuple[str, str]]:
    return [("", "None (a staff call)")] + [
        (name, spec.label) for name, spec in PURPOSE_SPECS.items() if spec.needs_invoice
    ]


class StepForm(forms.Form):
    code = forms.SlugField(max_length=40)
    label = forms.CharField(max_length=120)
    offset_days = forms.IntegerField(min_value=-90, max_value=365, label="Days from due date")
    channel = forms.ChoiceField(choices=DunningChannel.choices)
    purpose = forms.ChoiceField(choices=_purposes, required=False)
    risk_bands = forms.MultipleChoiceField(
        choices=[(b, b.capitalize()) for b in BANDS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every band.",
    )
    min_amount = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, initial=0)
    or_amount_at_least = forms.DecimalField(
        min_value=0, max_digits=14, decimal_places=2, required=False
    )
    mode = forms.ChoiceField(choices=StepMode.choices)
    active = forms.BooleanField(required=False)


class PlanForm(forms.Form):
    instalments = forms.IntegerField(min_value=MIN_INSTALMENTS, max_value=MAX_INSTALMENTS)
    first_due = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(max_length=300, required=False)


class PlanCancelForm(forms.Form):
    reason = forms.CharField(max_length=300)


class OptOutForm(forms.Form):
    party_id = forms.CharField(max_length=80)
    channel = forms.ChoiceField(choices=[("email", "Email"), ("sms", "SMS")])
    action = forms.ChoiceField(choices=[("out", "Opt out"), ("in", "Opt in again")])
    note = forms.CharField(max_length=300, required=False)
