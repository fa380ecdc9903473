"""`backup`, `verify`, `backups` and `restore`: proven backups and safe restore."""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from pathlib import Path
from typing import Any

import click

from endnoted.cli import render
from endnoted.cli.app import _config, _one_library, _store, cli, emit_json, json_option, path_type
from endnoted.common.errors import ArchiveRejected, ExitStatus, StateStoreError
from endnoted.state.records import BackupRow

# Function-local imports below are on purpose: each command imports the core it runs inside its
# body, so one run loads only its own stages (start-up time of `status` and `--help`, issue 16;
# benchmarks/bench_startup.py measures it).


def _progress_bar(enabled: bool) -> Any:
    """A click progress bar on a terminal; a no-op object otherwise (and with --json)."""
    class Quiet:
        def update(self, amount: int) -> None:
            pass

        length = 0

    if not enabled or not sys.stderr.isatty():
        return Quiet()
    return click.progressbar(length=1, label="Backing up", file=sys.stderr, show_eta=True)


@cli.command()
@click.argument("library", type=path_type())
@click.option("--to", "folder", type=path_type(), help="Folder for the backup (default: config).")
@click.option("--no-attachments", is_flag=True, help="Leave attached files out (the database only).")
@click.option("--folder", "as_folder", is_flag=True,
              help="A plain folder copy (Name.enl + Name.Data) instead of a .enlx; for libraries over 4 GB.")
@json_option
def backup(library: Path, folder: Path | None, no_attachments: bool, as_folder: bool, as_json: bool) -> None:
    """Make a proven backup: a .enlx EndNote can open (File → Open → Compressed Library).

    Written under a temporary name, proven (CRCs, SQLite structure, same counts, every attachment
    present), then renamed. A backup that fails a check is deleted; nothing is ever overwritten.

    \b
    Example:
      endnoted backup "My EndNote Library.enl"
      endnoted backup "My EndNote Library.enl" --to /media/usb --json
    """
    from endnoted.repair.backup import make_backup

    settings = _config()
    target = _one_library(library)
    bar = _progress_bar(not as_json)

    def total(amount: int) -> None:
        bar.length = amount

    with bar if hasattr(bar, "__enter__") else contextlib.nullcontext():
        result = make_backup(target, folder or settings.backups_dir, attachments=not no_attachments,
                             as_folder=as_folder, progress=bar.update, total=total)
    try:
        with _store() as store:
            store.record_backup(result.record(target.path))
    except StateStoreError as error:   # the backup is written and proven: that is what counts (exit 0)
        result = dataclasses.replace(result, warnings=(*result.warnings, f"not recorded in endnoted's state "
                                                       f"({error}); endnoted backups will not list it"))
    if as_json:
        emit_json({"schema": 1, "backup": result.to_json()})
        return
    click.echo(render.backup_made(result))


@cli.command()
@click.argument("archive", type=path_type())
@json_option
def verify(archive: Path, as_json: bool) -> None:
    """Prove any .enlx (ours or EndNote's): CRCs, safe member names, database structure and counts.

    Exit 0 when it proves itself, 4 when it does not, 2 for a file that is no zip at all.

    \b
    Example:
      endnoted verify "My EndNote Library-20250101-120000.enlx"
    """
    from endnoted.common.errors import ArchiveRejected, UsageError
    from endnoted.reading.archive import has_zip_signature
    from endnoted.reading.enlx import prove

    try:
        proof = prove(archive)
    except ArchiveRejected as error:
        if archive.is_file() and not has_zip_signature(archive):   # the wrong file named, not a broken backup
            raise UsageError(f"{archive} is not a .enlx (compressed library): it holds no zip data") from error
        raise
    if as_json:
        emit_json({"schema": 1, "verified": True, **proof.to_json()})
        return
    click.echo(render.proof(archive, proof))


@cli.command("backups")
@click.argument("library", required=False, type=path_type())
@json_option
def list_backups(library: Path | None, as_json: bool) -> None:
    """List recorded backups (all, or one library's) and whether each still proves itself.

    \b
    Example:
      endnoted backups
      endnoted backups "My EndNote Library.enl" --json
    """
    from endnoted.reading.enlx import prove

    key = str(_one_library(library).path) if library else None
    with _store() as store:
        results: list[tuple[BackupRow, str | None]] = []   # each backup, and why it fails (None: it proves)
        for row in store.backups(key):
            path = Path(row.path)
            why: str | None
            if row.kind == "folder":
                why = None if path.is_dir() else "folder is gone"
            else:
                try:
                    proof = prove(path)
                    ok = proof.counts is not None and proof.counts.references == row.references
                    why = None if ok else "its counts changed"
                except ArchiveRejected as error:
                    why = str(error)
            if why is None:
                store.mark_backup_verified(row)
            results.append((row, why))
    if as_json:
        emit_json({"schema": 1, "backups": [{**row.to_json(), "verifies": why is None, "problem": why or ""}
                                            for row, why in results]})
        return
    click.echo(render.backups(results))
    if any(why is not None for _, why in results):
        sys.exit(ExitStatus.DIVERGED)


@cli.command()
@click.argument("archive", type=path_type())
@click.option("--to", "folder", required=True, type=path_type(), help="Folder to restore into.")
@click.option("--name", help="Name of the new library (default: the backup's file name).")
@json_option
def restore(archive: Path, folder: Path, name: str | None, as_json: bool) -> None:
    """Make a new library (NAME.enl + NAME.Data) from a .enlx, proven after writing.

    Never writes over an existing library; refuses archives with unsafe members or zip bombs.

    \b
    Example:
      endnoted restore "My EndNote Library-20250101-120000.enlx" --to ~/Restored --name Rescued
    """
    from endnoted.repair.restore import restore as run_restore

    result = run_restore(archive, folder, name)
    if as_json:
        emit_json({"schema": 1, **result.to_json()})
        return
    click.echo(render.restored(result))
