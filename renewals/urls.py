"""URLs of the renewals pages."""

app_name = "renewals"

urlpatterns: list = []
