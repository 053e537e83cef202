"""The communication history: every message the product sent to members, with its outcome."""

from django.shortcuts import render
from django.views import View

from common.tables import keyset_paginate
from reviews.models import Communication
from reviews.views import QueueMixin

SORTS = {"created": "created_at", "member": "member_id", "id": "id"}


class CommunicationListView(QueueMixin, View):
    """Staff who work a queue see what was sent, to whom, and whether iMIS has it logged."""

    def get(self, request):
        get = request.GET
        queryset = Communication.objects.select_related("sent_by", "item")
        if member := get.get("member", "").strip():
            queryset = queryset.filter(member_id=member)
        if (channel := get.get("channel")) in Communication.Channel.values:
            queryset = queryset.filter(channel=channel)
        if (status := get.get("status")) in Communication.Status.values:
            queryset = queryset.filter(status=status)
        if purpose := get.get("purpose", "").strip():
            queryset = queryset.filter(purpose=purpose)
        page = keyset_paginate(
            queryset,
            sort=get.get("sort"),
            allowed=SORTS,
            default="-created",
            cursor=get.get("cursor"),
            size=50,
        )
        return render(
            request,
            "reviews/communications.html",
            {
                "page": page,
                "filters": get,
                "channels": Communication.Channel.choices,
                "statuses": Communication.Status.choices,
            },
        )
