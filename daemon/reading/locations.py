"""Where a library lives: cloud-synced folders and network filesystems, which EndNote names as the main
causes of library corruption (ENDNOTE-FORMAT.md, failure modes). Shared by the hazards probe and the watcher,
which polls such folders because inotify/FSEvents do not see remote writes."""

from __future__ import annotations

from pathlib import Path, PureWindowsPath

import psutil

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



def mount_table() -> tuple[tuple[str, str], ...]:
    """Return (mount point, filesystem type) pairs, longest mount point first."""
    try:
        parts = psutil.disk_partitions(all=True)
    except OSError:
        return ()
    return tuple(sorted(((p.mountpoint, p.fstype) for p in parts), key=lambda item: -len(item[0])))
