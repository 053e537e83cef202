"""Forms of the review pages: a decision, with the edited payload and a reject reason."""

from django import forms

from reviews.models import ReviewItem


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("accept", "Accept"),
            ("edit", "Save edit for a second approval"),
            ("reject", "Reject"),
        ]
    )
    reason = forms.ChoiceField(
        choices=[("", "Choose a reason"), *ReviewItem.RejectReason.choices], required=False
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def payload(self, data, item: ReviewItem) -> dict:
        """The edited payload: one field per key of the proposal, as the page sent them."""
        payload = {key: data.get(f"payload__{key}", value) for key, value in item.payload.items()}
        if isinstance(item.payload.get("draft"), dict):
            # A drafted message: the person edits its subject and body; the rest stays as drafted.
            draft = item.payload["draft"]
            payload["draft"] = {
                **draft,
                "subject": data.get("payload__draft__subject", draft.get("subject", "")),
                "body": data.get("payload__draft__body", draft.get("body", "")),
            }
        return payload
