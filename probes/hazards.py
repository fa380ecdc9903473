"""Where the library lives: EndNote names cloud-synced folders and network drives as the main causes of corruption."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PureWindowsPath

from endnoted.findings import Finding, Severity
from endnoted.probes.base import Context
from endnoted.snapshot import Snapshot

# Folder names that cloud clients create (case-insensitive; "OneDrive - Org" starts with "onedrive").
_CLOUD_PREFIXES = {
    "dropbox": "Dropbox", "onedrive": "OneDrive", "icloud drive": "iCloud Drive",
    "icloud~": "iCloud Drive", "com~apple~clouddocs": "iCloud Drive", "mobile documents": "iCloud Drive",
    "google drive": "Google Drive", "googledrive": "Google Drive", "my drive": "Google Drive",
    "box": "Box", "box sync": "Box", "cloudstorage": "a cloud storage provider",
    "pcloud drive": "pCloud", "nextcloud": "Nextcloud", "owncloud": "ownCloud", "sync.com": "Sync.com",
}
NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smbfs", "smb3", "afpfs", "webdav", "davfs", "fuse.sshfs",
                       "sshfs", "9p", "fuse.rclone", "fuse.gvfsd-fuse", "ncpfs", "glusterfs", "ceph"}


def cloud_provider(path: Path) -> str | None:
    """Given a path, return the cloud service whose synced folder holds it, or None."""
    for part in path.parts[:-1]:
        lowered = part.lower()
        for prefix, provider in _CLOUD_PREFIXES.items():
            if lowered == prefix or (prefix in ("onedrive", "dropbox", "box") and lowered.startswith(prefix + " ")):
                return provider
            if prefix.endswith("~") and lowered.startswith(prefix):
                return provider
    return None


def network_filesystem(path: Path, mounts: tuple[tuple[str, str], ...]) -> str | None:
    """Given a path and the mount table (longest mount point first), return the network fs type, or None."""
    text = str(path)
    if text.startswith("\\\\") or PureWindowsPath(text).drive.startswith("\\\\"):
        return "a network share"
    for mount_point, fstype in mounts:
        if text == mount_point or text.startswith(mount_point.rstrip("/\\") + "/") or mount_point == "/":
            return fstype if fstype.lower() in NETWORK_FILESYSTEMS else None
    return None


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
