"""Find an EndNote library from whatever path a user gives: `Name.enl`, `Name.Data`, a folder, or a `.enlx`.

Layouts (ENDNOTE-FORMAT.md §1): since X9.3 the live database is `Name.Data/sdb/sdb.eni`; the
`.enl` beside it may be a 4-byte stub, an `enl_refs` copy, an empty or a stale full copy. X-era
libraries keep MyISAM tables in `Name.Data/rdb/`. A `.enlx` is a ZIP of the *contents* of
`Name.Data` (no `.enl` inside).
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from pathlib import Path

from endnoted.common.errors import LibraryNotFound, PathTooLong, is_too_long, too_long
from endnoted.common.files import kind_of


class Layout(enum.Enum):
    SQLITE = "sqlite"          # Name.Data/sdb/sdb.eni
    LEGACY = "legacy-myisam"   # Name.Data/rdb/*.MYD
    ENLX = "enlx"              # a compressed library, read through a private copy
    MISSING = "missing"        # .enl and .Data exist, but no database inside


@dataclass(frozen=True)
class Library:
    """One EndNote library on disk. `path` is what we show and key on: the `.enl` or the `.enlx`."""

    path: Path
    name: str
    enl: Path | None
    data_dir: Path | None
    layout: Layout

    @property
    def database(self) -> Path | None:
        if self.data_dir is None or self.layout is not Layout.SQLITE:
            return None
        return self.data_dir / "sdb" / "sdb.eni"

    @property
    def pdf_dir(self) -> Path | None:
        return None if self.data_dir is None else self.data_dir / "PDF"

    @property
    def format(self) -> str:
        """The `format` of check's JSON: what kind of database this library keeps."""
        if self.layout is Layout.LEGACY:
            return "legacy-myisam"
        if self.layout in (Layout.SQLITE, Layout.ENLX):
            return "sqlite"
        return "unknown"

    def files(self) -> list[Path]:
        """Every file that belongs to the library (for hashing in tests and for watching)."""
        found = [p for p in (self.enl,) if p is not None and p.is_file()]
        if self.layout is Layout.ENLX:
            return [self.path]
        if self.data_dir is not None and self.data_dir.is_dir():
            for root, _dirs, names in os.walk(self.data_dir):
                found.extend(Path(root) / name for name in names)
        return sorted(found)


def _layout_of(data_dir: Path) -> Layout:
    try:
        if (data_dir / "sdb" / "sdb.eni").exists():
            return Layout.SQLITE
        if (data_dir / "rdb").is_dir():
            return Layout.LEGACY
    except PermissionError:
        # A .Data or sdb/ folder we may not look into: call it what EndNote 20+ makes, so reading it
        # says "cannot be read (permission denied)" instead of the library being skipped (issue #12).
        return Layout.SQLITE
    return Layout.MISSING


def _from_enl(enl: Path) -> Library:
    data_dir = enl.with_suffix(".Data")
    if not data_dir.is_dir():
        raise LibraryNotFound(f"{enl} has no {data_dir.name} folder beside it; "
                              "an EndNote library is Name.enl plus its Name.Data folder")
    return Library(enl.resolve(), enl.stem, enl.resolve(), data_dir.resolve(), _layout_of(data_dir))


def _from_data_dir(data_dir: Path) -> Library:
    enl = data_dir.with_suffix(".enl")
    layout = _layout_of(data_dir)
    path = enl if enl.exists() else data_dir
    return Library(path.resolve(), data_dir.stem, enl.resolve() if enl.exists() else None,
                   data_dir.resolve(), layout)


def _is_library_dir(path: Path) -> bool:
    return path.suffix.lower() == ".data" and path.is_dir()


def libraries_in(folder: Path, *, strict: bool = False) -> list[Library]:
    """Given a folder, return the libraries directly inside it (an `.enlp` package counts as a folder).

    `strict` (a folder the user named): a folder we may not list raises LibraryNotFound instead of
    looking empty, so `check FOLDER` never passes over what it could not read.
    """
    found: dict[Path, Library] = {}
    try:
        entries = sorted(folder.iterdir())
    except OSError as error:
        if strict:
            raise LibraryNotFound(f"cannot look into {folder} ({error.strerror or error})") from error
        return []
    for entry in entries:
        try:
            if entry.suffix.lower() == ".enl" and entry.is_file() and entry.with_suffix(".Data").is_dir():
                library = _from_enl(entry)
            elif _is_library_dir(entry) and not entry.with_suffix(".enl").exists():
                library = _from_data_dir(entry)
            elif entry.suffix.lower() == ".enlp" and entry.is_dir():
                found.update((lib.path, lib) for lib in libraries_in(entry))
                continue
            else:
                continue
        except (OSError, LibraryNotFound) as error:
            if strict and is_too_long(error):   # the folder named holds a library we cannot reach: say so
                raise PathTooLong(entry.absolute(), f"the library {entry.name}", _MOVE) from error
            continue
        found[library.path] = library
    return list(found.values())


LOCATE_DEPTH = 4   # folders below the one named: Documents/Projects/Thesis/Library.enl is depth 2


@dataclass(frozen=True)
class FolderSearch:
    """What one walk of a folder found: the libraries, and the `.enlx` files it passed over.

    A folder search does not check compressed libraries: they are most often backups (ours and
    EndNote's), and checking each would unpack every one. `check FOLDER` says how many it skipped.
    """

    libraries: tuple[Library, ...]
    compressed: tuple[Path, ...]


def search(folder: Path, depth: int = LOCATE_DEPTH) -> FolderSearch:
    """Given a folder, return the libraries and the `.enlx` files in it and in its sub-folders down to `depth`.

    Skips `.Data` folders (a library's insides), `.enlp` packages (read as libraries), hidden entries
    and symbolic links; a folder that cannot be listed is passed over, except the one named.
    """
    libraries: dict[Path, Library] = {}
    compressed: list[Path] = []
    level: list[Path] = [folder]
    for _ in range(depth + 1):
        below: list[Path] = []
        for current in level:
            # The folder the user named must be readable: `check FOLDER` never passes over it silently.
            libraries.update((library.path, library) for library in libraries_in(current, strict=current == folder))
            try:
                entries = sorted(current.iterdir())
            except OSError:
                continue
            for entry in entries:
                name = entry.name.lower()
                try:
                    if entry.is_symlink() or name.startswith("."):
                        continue
                    if name.endswith(".enlx") and entry.is_file():
                        compressed.append(entry)
                    elif entry.is_dir() and not name.endswith((".data", ".enlp")):
                        below.append(entry)
                except OSError:
                    continue
        level = below
    return FolderSearch(tuple(libraries.values()), tuple(compressed))


def is_library_path(path: Path) -> bool:
    """True when the path names a library itself (.enl, .enlx, .Data folder, sdb.eni), not an export or a folder."""
    suffix = path.suffix.lower()
    if path.is_file():
        return suffix in (".enl", ".enlx") or (path.name == "sdb.eni" and path.parent.name == "sdb")
    return _is_library_dir(path) or (suffix == ".enlp" and path.is_dir())


def locate(path: Path) -> list[Library]:
    """Given a path a user typed, return the libraries it names; raise LibraryNotFound (exit 2) if none."""
    return list(find(path).libraries)


def find(path: Path) -> FolderSearch:
    """Given a path a user typed, return the libraries it names and, when it names a folder to search,
    the `.enlx` files that search passed over; raise LibraryNotFound (exit 2) if it names no library."""
    path = path.expanduser()
    # Every library is read by its absolute path: a short relative name in a deep folder may still be
    # out of reach (the OS refuses paths over PATH_MAX, and that is no damage of the library's).
    if too_long(path.absolute()):
        raise PathTooLong(path.absolute(), str(path), _MOVE)
    found = _find(path)
    for library in found.libraries:
        _reachable(library)
    return found


_MOVE = "move the library (or a folder above it) to a shorter path"


def _reachable(library: Library) -> None:
    """Raise PathTooLong if the OS refuses a path endnoted must open to read `library` (its .enl, its database).

    The database's `-journal` name is the longest: SQLite looks for it on every read.
    """
    for path in (library.path, None if library.database is None else f"{library.database}-journal"):
        if path is not None and too_long(path):
            raise PathTooLong(path, f"the library {library.path.name}", _MOVE)


def _find(path: Path) -> FolderSearch:
    if not path.exists():
        raise LibraryNotFound(f"nothing at {path}: check the path (quote it if it has spaces)")
    if path.is_file():
        suffix = path.suffix.lower()
        if suffix == ".enlx":
            return FolderSearch((Library(path.resolve(), path.stem, None, None, Layout.ENLX),), ())
        if suffix == ".enl":
            return FolderSearch((_from_enl(path),), ())
        if path.name == "sdb.eni" and path.parent.name == "sdb" and _is_library_dir(path.parent.parent):
            return FolderSearch((_from_data_dir(path.parent.parent),), ())
        raise LibraryNotFound(f"{path} is not an EndNote library; give the .enl file, "
                              "its .Data folder, a .enlx file or a folder holding libraries")
    if _is_library_dir(path):
        return FolderSearch((_from_data_dir(path),), ())
    if not path.is_dir():   # a FIFO or a device, linked or not: nothing to open, nothing to look into
        raise LibraryNotFound(f"{path} is {kind_of(path.stat().st_mode)}, not a regular file or a folder; "
                              "give the .enl file, its .Data folder or a .enlx file")
    found = search(path)
    if not found.libraries:
        compressed = sorted(p.name for p in path.glob("*.enlx"))[:3]
        hint = f"; it holds compressed libraries ({', '.join(compressed)}): name one to check it" if compressed else ""
        raise LibraryNotFound(f"no EndNote library in {path} or its sub-folders (looked for Name.enl with a Name.Data "
                              f"folder, {LOCATE_DEPTH} levels down){hint}")
    # An .enlp package is one library, searched as a folder: its insides are not "compressed libraries skipped".
    return FolderSearch(found.libraries, ()) if is_library_path(path) else found
