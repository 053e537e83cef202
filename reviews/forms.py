"""Forms of the review pages: a decision, with the edited payload and a reject reason."""

from django import forms

from reviews.models import ReviewItem


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("edit", "Save edit and accept"),
                                          ("reject", "Reject")])  # fmt: skip
    reason = forms.ChoiceField(
        choices=[("", "Choose a reason"), *ReviewItem.RejectReason.choices], required=False
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def payload(self, data, item: ReviewItem) -> dict:
        """The edited payload: one field per key of the proposal, as the page sent them."""
        return {key: data.get(f"payload__{key}", value) for key, value in item.payload.items()}
