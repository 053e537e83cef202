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
