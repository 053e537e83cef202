"""Signals other apps listen to: imis_client names no app, apps connect in AppConfig.ready()."""

from django.dispatch import Signal

# Sent after a sync that finished (succeeded or partly), with ``run`` (the SyncRun): apps start
# the work that follows new data (a new member's billing set-up, say) without the sync naming it.
sync_finished = Signal()
