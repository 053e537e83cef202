"""Permission codenames of the common app, and which role holds each."""

from common import roles

VIEW_JOBS = "common.view_jobs"
RUN_JOBS = "common.run_jobs"
VIEW_API_DOCS = "common.view_api_docs"
VIEW_AUDIT = "common.view_audit"

DECLARED = (
    ("view_jobs", "Can see background jobs and their progress"),
    ("run_jobs", "Can start, cancel and retry maintenance jobs"),
    ("view_api_docs", "Can read the API documentation"),
    ("view_audit", "Can read and export the audit trail"),
)

# Role → codenames of this app. Synced into the role groups after every migrate.
GRANTS = {
    roles.MEMBERSHIP: ["view_api_docs"],
    roles.FINANCE: ["view_api_docs"],
    roles.MANAGER: ["view_jobs", "view_api_docs", "view_audit"],
    roles.ADMINISTRATOR: [
        "view_jobs",
        "run_jobs",
        "view_api_docs",
        "view_audit",
        # Administrators manage accounts in the Django admin; only a superuser gives rights.
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
    ],
}
