"""The built-in probes, in the order they run. A test checks that every module here is registered."""

from __future__ import annotations

from endnoted.probes.attachments import AttachmentsProbe
from endnoted.probes.base import Context, Peer, Probe
from endnoted.probes.deletions import DeletionsProbe
from endnoted.probes.duplicates import DuplicatesProbe
from endnoted.probes.enl_copy import EnlCopyProbe
from endnoted.probes.hazards import HazardsProbe
from endnoted.probes.identity import IdentityProbe
from endnoted.probes.library_state import LibraryStateProbe
from endnoted.probes.moved import MovedProbe
from endnoted.probes.sync_ledger import SyncLedgerProbe
from endnoted.probes.web_export import WebExportProbe

__all__ = ["Context", "Peer", "Probe", "builtin_probes"]


def builtin_probes() -> list[Probe]:
    return [LibraryStateProbe(), SyncLedgerProbe(), WebExportProbe(), AttachmentsProbe(), DuplicatesProbe(),
            HazardsProbe(), MovedProbe(), EnlCopyProbe(), IdentityProbe(), DeletionsProbe()]
