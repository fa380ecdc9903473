"""Where the library lives: EndNote names cloud-synced folders and network drives as the main causes of corruption."""

from __future__ import annotations

from collections.abc import Iterator

from endnoted.judging.findings import Finding, Severity
from endnoted.probes.base import Context
from endnoted.reading.locations import cloud_provider, network_filesystem
from endnoted.reading.model import Snapshot


class HazardsProbe:
    name = "hazards"

    def check(self, snapshot: Snapshot, context: Context) -> Iterator[Finding]:
        path = snapshot.library.path
        if provider := cloud_provider(path):
            yield Finding(self.name, "hazard.cloud-folder", Severity.WARNING,
                          f"The library is inside a folder synced by {provider}; EndNote names this a main cause "
                          "of library corruption. Move it to a local folder (keep a backup there instead).")
        if fstype := network_filesystem(path, context.mounts):
            yield Finding(self.name, "hazard.network-filesystem", Severity.WARNING,
                          f"The library is on a network filesystem ({fstype}); EndNote needs local file locking. "
                          "Copy it to a local disk and open it from there.")
