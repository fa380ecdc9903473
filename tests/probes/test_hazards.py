"""The hazards probe: a library in a cloud-synced folder or on a network filesystem."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.probes.common import codes, library


@pytest.mark.parametrize("folder", ["Dropbox", "OneDrive - University of Somewhere", "Google Drive", "Box",
                                    "iCloud Drive"])
def test_a_library_in_a_cloud_folder(tmp_path: Path, folder: str) -> None:
    assert "hazard.cloud-folder" not in codes(library(tmp_path, name="Documents"), mounts=())
    assert "hazard.cloud-folder" in codes(library(tmp_path / folder, name="Papers"), mounts=())


def test_a_library_on_a_network_filesystem(tmp_path: Path) -> None:
    enl = library(tmp_path)
    local = ((str(tmp_path / "elsewhere"), "nfs4"), ("/", "ext4"))
    network = ((str(tmp_path), "cifs"), ("/", "ext4"))   # the mount table is the OS boundary: given here
    assert "hazard.network-filesystem" not in codes(enl, mounts=local)
    assert "hazard.network-filesystem" in codes(enl, mounts=network)
