"""The month-end close's API under /api/v1/close/ (included by ``dues.api.urls``)."""
