"""API routes of renewals."""

urlpatterns: list = []
