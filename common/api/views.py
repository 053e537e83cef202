"""API views of the common app: who am I, and background jobs."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from common import permissions, selectors
from common.api.serializers import JobRunSerializer, MeSerializer
from common.roles import role_names


class MeView(APIView):
    required_permission = None

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        data = {
            "username": user.get_username(),
            "full_name": user.get_full_name(),
            "roles": role_names(user),
            "permissions": sorted(user.get_all_permissions()),
        }
        return Response(MeSerializer(data).data)


class JobRunViewSet(viewsets.ReadOnlyModelViewSet):
    required_permission = permissions.VIEW_JOBS
    serializer_class = JobRunSerializer

    def get_queryset(self):
        return selectors.job_run_list(
            status=self.request.query_params.get("status") or None,
            kind=self.request.query_params.get("kind") or None,
        )
