"""The member's own page, opened by a signed link (no sign-in): "Your dues" and "Ask a question".
Everything shown is read for the link's member only; the question form carries a CSRF token."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from common.errors import DomainError
from common.links import member_link_view
from dues.inquiries import portal
from dues.inquiries.account import member_account
from dues.models import Inquiry


class AskForm(forms.Form):
    question = forms.CharField(
        max_length=portal.MAX_QUESTION,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Your question",
    )


def _recent(member_id: str):
    return (
        Inquiry.objects.filter(member_id=member_id, channel=Inquiry.Channel.PORTAL)
        .prefetch_related("messages")
        .order_by("-received_at")[:5]
    )


@member_link_view(portal.PURPOSE)
@require_http_methods(["GET"])
def member_account_page(request, link):
    account = member_account(link.party_id)
    asked = None
    ref = request.GET.get("asked", "")
    if ref.isdigit():  # only this member's own question, whatever number the URL carries
        asked = Inquiry.objects.filter(pk=int(ref), member_id=link.party_id).first()
    return render(
        request,
        "dues/inquiries/member_account.html",
        {
            "account": account,
            "form": AskForm(),
            "token": request.resolver_match.kwargs["token"],
            "asked": asked,
            "recent": _recent(link.party_id),
            "pay_url": settings.DRAFTING_PORTAL_URL,
        },
        status=200 if account else 404,
    )


@member_link_view(portal.PURPOSE)
@require_http_methods(["POST"])
def member_account_ask(request, link):
    token = request.resolver_match.kwargs["token"]
    form = AskForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write your question (at most 2,000 characters), then press Ask.")
        return redirect("dues:member_account", token=token)
    try:
        asked = portal.member_question_ask(link=link, question=form.cleaned_data["question"])
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("dues:member_account", token=token)
    if asked.answer:
        messages.success(request, "Here is your answer, from your own account and our policies.")
    else:
        messages.info(
            request,
            f"Your question is with our staff; you will have a reply by email by "
            f"{asked.reply_by:%A, %B} {asked.reply_by.day}.",
        )
    url = reverse("dues:member_account", kwargs={"token": token})
    return redirect(f"{url}?asked={asked.inquiry.pk}#answer")
