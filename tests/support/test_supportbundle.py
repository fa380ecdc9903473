"""The support bundle's config.json says where the settings came from in JSON's own terms."""

from __future__ import annotations

import getpass
import json
import zipfile
from pathlib import Path

from tests.conftest import run


def test_the_config_source_is_null_without_a_config_file_and_the_path_with_one(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"   # ENDNOTED_CONFIG points here (conftest); absent at first
    for present in (False, True):
        if present:
            config.write_text("stale_after_hours = 12\n", encoding="utf-8")
        bundle = tmp_path / f"bundle-{present}.zip"
        assert run("report", "-o", str(bundle)).exit_code == 0
        with zipfile.ZipFile(bundle) as archive:
            source = json.loads(archive.read("config.json"))["source"]
        if present:   # the path, with the user name redacted as everywhere in the bundle
            assert isinstance(source, str) and source.endswith("/config.toml") and getpass.getuser() not in source.split("/")
        else:
            assert source is None, source
