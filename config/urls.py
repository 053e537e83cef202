"""URL wiring: pages, API, health. Each app owns its own urls module."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from common import views as common_views
from common.api.permissions import RolePermission
from common.permissions import VIEW_API_DOCS


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from local assets; the login middleware sends strangers to the login page.

    The split view serves its init script at ``?script`` as a file, which the CSP allows.
    """

    permission_classes = [RolePermission]
    required_permission = VIEW_API_DOCS
    template_name = "common/api_docs.html"

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        view.login_required = True  # DRF marks its views exempt; this one is a page
        return view


class ApiSchemaView(SpectacularAPIView):
    permission_classes = [RolePermission]
    required_permission = VIEW_API_DOCS


api_v1 = [
    path("", include(("common.api.urls", "common"), namespace="common")),
    path("", include(("imis_client.api.urls", "imis_client"), namespace="imis_client")),
    path("", include(("reviews.api.urls", "reviews"), namespace="reviews")),
    path("", include(("renewals.api.urls", "renewals"), namespace="renewals")),
    path("", include(("dues.api.urls", "dues"), namespace="dues")),
]

urlpatterns = [
    path("", common_views.HomeView.as_view(), name="home"),
    path("healthz", common_views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(success_url="/accounts/password/done/"),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("", include("common.urls")),
    path("", include("imis_client.urls")),
    path("", include("reviews.urls")),
    path("", include("renewals.urls")),
    path("", include("dues.urls")),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", ApiSchemaView.as_view(), name="api_schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api_schema"), name="api_docs"),
    path("admin/", admin.site.urls),
]

handler500 = "common.views.server_error"
