"""URLs of the dues pages."""

app_name = "dues"

urlpatterns: list = []
