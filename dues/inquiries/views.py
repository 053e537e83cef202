"""Staff pages of inquiries: the list (sorted, filtered), one inquiry (match, close, reopen),
a new inquiry by hand, and the policy documents. One view per action; each checks its
permission."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from common.errors import DomainError
from common.htmx import render_page_or_partial
from common.tables import keyset_paginate
from dues.inquiries import permissions, policy_docs, services
from dues.models import Inquiry, PolicyDocument

SORTS = {"received": "received_at", "status": "status", "category": "category"}


class InquiryForm(forms.Form):
    channel = forms.ChoiceField(
        choices=[
            (Inquiry.Channel.PHONE, "Phone call"),
            (Inquiry.Channel.LETTER, "Letter"),
            (Inquiry.Channel.EMAIL, "Email (forwarded by hand)"),
        ]
    )
    member_id = forms.CharField(required=False, max_length=80, label="Member (iMIS id)")
    sender_name = forms.CharField(required=False, max_length=200, label="Caller or writer")
    sender_email = forms.EmailField(required=False, label="Their email")
    subject = forms.CharField(required=False, max_length=300)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), label="What they asked")


class MatchForm(forms.Form):
    member_id = forms.CharField(max_length=80, label="Member (iMIS id)")


class PolicyUploadForm(forms.Form):
    title = forms.CharField(required=False, max_length=200)
    document = forms.FileField(label="Document (.md, .txt or .pdf)")


class InquiryListView(PermissionRequiredMixin, View):
    """Every inquiry, filtered by status (or those waiting for a member pick), class and
    escalation, sorted by column."""

    permission_required = permissions.VIEW_INQUIRIES
    raise_exception = True

    def get(self, request):
        query = Inquiry.objects.all()
        status = request.GET.get("status", "")
        if status == "unmatched":
            query = query.filter(member_id="").exclude(status=Inquiry.Status.CLOSED)
        elif status == "open":
            query = query.filter(status__in=Inquiry.OPEN)
        elif status in Inquiry.Status.values:
            query = query.filter(status=status)
        category = request.GET.get("category", "")
        if category in Inquiry.Category.values:
            query = query.filter(category=category)
        escalation = request.GET.get("escalation", "")
        if escalation in Inquiry.Escalation.values and escalation:
            query = query.filter(escalation=escalation)
        search = request.GET.get("q", "").strip()[:100]
        if search:
            query = (
                query.filter(subject__icontains=search)
                | query.filter(member_id=search)
                | query.filter(sender_email__iexact=search)
            )
        page = keyset_paginate(
            query,
            sort=request.GET.get("sort"),
            allowed=SORTS,
            default="-received",
            cursor=request.GET.get("cursor"),
            size=50,
        )
        counts = dict(
            Inquiry.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
        )
        context = {
            "page": page,
            "status": status,
            "category": category,
            "escalation": escalation,
            "q": search,
            "statuses": [(v, label, counts.get(v, 0)) for v, label in Inquiry.Status.choices],
            "unmatched": Inquiry.objects.filter(member_id="")
            .exclude(status=Inquiry.Status.CLOSED)
            .count(),
            "categories": Inquiry.Category.choices,
            "escalations": [c for c in Inquiry.Escalation.choices if c[0]],
        }
        return render_page_or_partial(
            request, "dues/inquiries/list.html", "dues/inquiries/partials/_table.html", context
        )


class InquiryDetailView(PermissionRequiredMixin, View):
    """One inquiry: its messages (escaped, never the HTML), class, escalation, the reply's
    review item, and staff's pick of the member."""

    permission_required = permissions.VIEW_INQUIRIES
    raise_exception = True

    def get(self, request, pk: int):
        inquiry = get_object_or_404(
            Inquiry.objects.select_related("review_item", "created_by"), pk=pk
        )
        return render(
            request,
            "dues/inquiries/detail.html",
            {
                "inquiry": inquiry,
                "thread": inquiry.messages.all(),
                "match_form": MatchForm(initial={"member_id": inquiry.member_id}),
                "can_handle": request.user.has_perm(permissions.HANDLE_INQUIRIES),
            },
        )


class InquiryCreateView(PermissionRequiredMixin, View):
    """A phone call or letter entered by hand; its answer is drafted in the background."""

    permission_required = permissions.HANDLE_INQUIRIES
    raise_exception = True

    def get(self, request):
        return render(request, "dues/inquiries/new.html", {"form": InquiryForm()})

    def post(self, request):
        form = InquiryForm(request.POST)
        if form.is_valid():
            try:
                inquiry = services.inquiry_create(user=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    f"Inquiry #{inquiry.pk} saved; its reply is being drafted"
                    + (
                        " for the member's review queue."
                        if inquiry.member_id
                        else ". Pick the member: the desk could not match one."
                    ),
                )
                return redirect("dues:inquiries:detail", pk=inquiry.pk)
        return render(request, "dues/inquiries/new.html", {"form": form}, status=400)


class InquiryMatchView(PermissionRequiredMixin, View):
    permission_required = permissions.HANDLE_INQUIRIES
    raise_exception = True
    http_method_names = ["post"]

    def post(self, request, pk: int):
        form = MatchForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Give the member's iMIS id.")
            return redirect("dues:inquiries:detail", pk=pk)
        try:
            inquiry = services.inquiry_match(
                inquiry_id=pk, member_id=form.cleaned_data["member_id"], user=request.user
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                f"Matched to {inquiry.member_name} (#{inquiry.member_id}); the reply is being "
                "drafted again for this member.",
            )
        return redirect("dues:inquiries:detail", pk=pk)


class InquiryCloseView(PermissionRequiredMixin, View):
    permission_required = permissions.HANDLE_INQUIRIES
    raise_exception = True
    http_method_names = ["post"]

    def post(self, request, pk: int):
        try:
            services.inquiry_close(
                inquiry_id=pk, user=request.user, reason=request.POST.get("reason", "")
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Inquiry #{pk} closed; any pending reply was withdrawn.")
        return redirect("dues:inquiries:detail", pk=pk)


class InquiryReopenView(PermissionRequiredMixin, View):
    permission_required = permissions.HANDLE_INQUIRIES
    raise_exception = True
    http_method_names = ["post"]

    def post(self, request, pk: int):
        try:
            services.inquiry_reopen(inquiry_id=pk, user=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Inquiry #{pk} reopened; its reply is drafted again.")
        return redirect("dues:inquiries:detail", pk=pk)


class PolicyDocumentListView(PermissionRequiredMixin, View):
    """The policy documents answers cite; managers upload and remove them. A search box shows
    which passages a question finds."""

    permission_required = permissions.VIEW_INQUIRIES
    raise_exception = True

    def _context(self, request, form=None) -> dict:
        question = request.GET.get("q", "").strip()[:300]
        return {
            "documents": PolicyDocument.objects.select_related("uploaded_by").annotate(
                passages=Count("chunks")
            ),
            "form": form or PolicyUploadForm(),
            "can_manage": request.user.has_perm(permissions.MANAGE_POLICY_DOCS),
            "q": question,
            "found": policy_docs.search(question, limit=5) if question else [],
        }

    def get(self, request):
        return render(request, "dues/inquiries/policies.html", self._context(request))


class PolicyDocumentUploadView(PolicyDocumentListView):
    permission_required = permissions.MANAGE_POLICY_DOCS
    http_method_names = ["post"]

    def post(self, request):
        form = PolicyUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                document = policy_docs.policy_document_upload_file(
                    title=form.cleaned_data["title"],
                    upload=form.cleaned_data["document"],
                    user=request.user,
                )
            except DomainError as exc:
                form.add_error("document", str(exc))
            else:
                messages.success(
                    request,
                    f"“{document.title}” uploaded: {document.chunks.count()} passages searchable.",
                )
                return redirect("dues:inquiries:policies")
        return render(
            request, "dues/inquiries/policies.html", self._context(request, form), status=400
        )


class PolicyDocumentDeleteView(PermissionRequiredMixin, View):
    permission_required = permissions.MANAGE_POLICY_DOCS
    raise_exception = True
    http_method_names = ["post"]

    def post(self, request, pk: int):
        try:
            policy_docs.policy_document_delete(document_id=pk, user=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Policy document removed; answers no longer cite it.")
        return redirect("dues:inquiries:policies")
