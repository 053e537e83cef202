"""Forms of the billing pages: the policy, the proration & refund calculator, a memo's amount."""

from django import forms

from dues.billing.policy import RULES


class BillingPolicyForm(forms.Form):
    """One text field per rule, as the environment and the audit trail write it."""

    def __init__(self, *args, texts: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for rule in RULES:
            self.fields[rule.name] = forms.CharField(
                label=rule.label,
                help_text=rule.help,
                initial=texts[rule.name],
                max_length=300,
                required=False,
            )

    def changed_values(self, texts: dict[str, str]) -> dict[str, str]:
        """Rules whose text differs from the policy in force; an empty field leaves a rule alone."""
        return {
            name: value.strip()
            for name, value in self.cleaned_data.items()
            if value.strip() and value.strip() != texts[name]
        }


class CalculatorForm(forms.Form):
    """A member, a change and a date; what the change needs besides."""

    member = forms.CharField(
        label="Member (iMIS id)",
        max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    change = forms.ChoiceField(label="Change", choices=[])
    on = forms.DateField(
        label="Date", widget=forms.DateInput(attrs={"type": "date"}), help_text="When it happens."
    )
    new_type = forms.CharField(
        label="New member type", max_length=20, required=False, help_text="For a tier change."
    )
    years = forms.TypedChoiceField(
        label="Years", choices=[], coerce=int, required=False, help_text="For a multi-year term."
    )
    paid = forms.DecimalField(
        label="Paid so far",
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text="For a cancellation; empty: what iMIS shows as paid.",
    )

    def __init__(self, *args, changes: dict, years: list[int], types: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["change"].choices = list(changes.items())
        self.fields["years"].choices = [("", "—"), *[(y, f"{y} years") for y in years]]
        self.types = types
        self.fields["new_type"].widget.attrs["list"] = "member-types"


class AmendForm(forms.Form):
    amount = forms.DecimalField(label="Amount", max_digits=14, decimal_places=2)
    reason = forms.CharField(label="Reason", max_length=300, required=False)
