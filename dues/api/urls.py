"""API routes of dues."""

urlpatterns: list = []
