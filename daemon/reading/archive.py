"""The bounded reader of `.enlx` archives (a ZIP of the contents of `Name.Data`, ENDNOTE-FORMAT.md §5).

One bounded archive reader (`open_archive`, `extract_member`) serves `check X.enlx`, `verify` and
`restore` (issue #12). Before a byte is expanded it refuses: an empty archive, more members than
EndNote opens, a member that could escape its folder, a name given twice (`sdb/sdb.eni` twice:
which one would count?), an encrypted member, a compression method other than stored/deflate
(Deflate64, AES), a member expanding more than `MAX_RATIO` times, an archive expanding more than
`MAX_TOTAL_RATIO` times its size, or more than `MAX_EXPANDED_BYTES`; and it extracts only into a
folder with room for the member. A member never yields more bytes than it declares (zipfile stops
at the declared size and checks the CRC), so the declared sizes bound the work.
Measured on the real `.enlx` samples: the largest member ratio is 42, the whole-archive ratio 16.
"""

from __future__ import annotations

import os
import shutil
import stat
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from endnoted.common.errors import ArchiveRejected
from endnoted.common.files import PRIVATE_FILE
from endnoted.reading.database import NotRegular, open_regular

# EndNote cannot open a compressed library over 4 GB or 65,535 files (ENDNOTE-FORMAT.md §4).
ENLX_MAX_BYTES = 4 * 1024**3
ENLX_MAX_FILES = 65535
# Zip-bomb limits: more than this expanded, a member over RATIO_FLOOR expanding more than MAX_RATIO
# times, or an archive over TOTAL_FLOOR expanding more than MAX_TOTAL_RATIO times its own size.
MAX_EXPANDED_BYTES = 64 * 1024**3
MAX_RATIO = 100
RATIO_FLOOR = 1 << 20
MAX_TOTAL_RATIO = 50
TOTAL_FLOOR = 64 << 20
FREE_SPACE_MARGIN = 1.05
SUPPORTED_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
CHUNK = 1 << 20


# No EndNote archive comes near these (the real samples: 3 levels, 44 characters); a member past them
# is hostile, and a path thousands of levels deep would exhaust Python's recursion as it is resolved.
MAX_MEMBER_DEPTH = 32
MAX_COMPONENT_BYTES = 255    # one path component on every filesystem
# Unicode's bidirectional formatting characters (UAX #9): marks, embeddings, overrides and isolates.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Names Windows cannot create, whatever the extension (docs/ENDNOTE-RULES.md, [H] archive member names).
_WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in "123456789"),
                               *(f"LPT{n}" for n in "123456789")})


def windows_problem(name: str) -> str | None:
    """Given a member name, return why Windows could not create it (a reserved device name), or None.

    Asked by restore only: the archive is sound as such, but a restored library with such a file could
    not be copied to Windows, where EndNote could not open it. Only reserved names: a colon or a trailing
    dot is a fine name on macOS, where a library made there is most often restored.
    """
    for part in name.replace("\\", "/").removesuffix("/").split("/"):
        if part.split(".")[0].rstrip(" ").upper() in _WINDOWS_RESERVED:
            return f"member {_short(name)!r} has a name Windows reserves ({part})"
    return None


def unsafe_member(info: zipfile.ZipInfo) -> str | None:
    """Given a member, return why restore could not write it as named (or it could escape its folder), or None.

    The one rule for `verify`, `check X.enlx` and `restore`: a member name is taken exactly as the
    archive spells it, so it must be spelled one way only: no `.` or empty part (`./sdb/sdb.eni`,
    `sdb//sdb.eni` would be `sdb/sdb.eni` once written), no part longer than a file name may be, no
    more than MAX_MEMBER_DEPTH levels.
    """
    name = info.filename
    if "\x00" in name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return f"member {_short(name)!r} has an absolute path"
    parts = name.replace("\\", "/").removesuffix("/").split("/")
    if ".." in parts:
        return f"member {_short(name)!r} climbs out of the folder (..)"
    if "" in parts or "." in parts:
        return f"member {_short(name)!r} is not spelled as one plain path (an empty or . part)"
    if len(parts) > MAX_MEMBER_DEPTH:
        return f"member {_short(name)!r} is {len(parts)} folders deep (EndNote's are a few)"
    if any(len(part.encode("utf-8", "surrogateescape")) > MAX_COMPONENT_BYTES for part in parts):
        return f"member {_short(name)!r} has a name longer than a file name may be ({MAX_COMPONENT_BYTES} bytes)"
    if any(unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS for char in name):
        # No EndNote name holds one; in a terminal they disguise a name (a line break, an escape
        # sequence, a right-to-left override turning "report\u202efdp.exe" into "reportexe.pdf").
        return f"member {_short(name)!r} has a control character in its name (it could disguise the name)"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return f"member {_short(name)!r} is a symbolic link"
    return None


# A zip's record signatures (local file header, central directory entry, end of central directory).
# A file holding none of them near its start or end is no zip at all, not a zip cut short: a truncated
# archive keeps its first local header at offset 0 (or after a stub), whatever was lost at its end.
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06")
SIGNATURE_WINDOW = 1 << 16


def has_zip_signature(path: Path) -> bool:
    """Whether a regular file holds any zip record signature in its first or last 64 KB (read, never followed
    past a FIFO: open_regular). True when it cannot be read: the archive's own refusal then says why."""
    try:
        fd = open_regular(path)
    except (NotRegular, OSError):
        return True   # not ours to word: the archive's own refusal names the FIFO or the missing file
    with os.fdopen(fd, "rb") as handle:
        head = handle.read(SIGNATURE_WINDOW)
        size = os.fstat(handle.fileno()).st_size
        handle.seek(max(len(head), size - SIGNATURE_WINDOW))
        tail = handle.read(SIGNATURE_WINDOW)
    return any(signature in head or signature in tail for signature in ZIP_SIGNATURES)


def _short(name: str) -> str:
    """A member name fit for one line: a hostile one may be thousands of characters long."""
    return name if len(name) <= 80 else f"{name[:40]}…{name[-30:]} ({len(name)} characters)"


def _check_members(archive: zipfile.ZipFile, path: Path) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if not infos:
        raise ArchiveRejected(f"{path} is an empty archive, not a compressed library")
    if len(infos) > ENLX_MAX_FILES:
        raise ArchiveRejected(f"{path} was refused: {len(infos)} members, more than EndNote opens ({ENLX_MAX_FILES})")
    expanded = 0
    seen: set[str] = set()
    files: dict[str, str] = {}      # key of every file member -> its name
    folders: set[str] = set()       # key of every folder a member lies in (or names)
    for info in infos:
        if problem := unsafe_member(info):
            raise ArchiveRejected(f"{path} was refused: {problem}")
        # One key per file as macOS and Windows see names: case folded, Unicode normalised (APFS and
        # HFS+ compare "é" and "e\u0301" as one name): twins would be one file there.
        key = unicodedata.normalize("NFC", info.filename.replace("\\", "/").rstrip("/")).casefold()
        if key in seen:
            raise ArchiveRejected(f"{path} was refused: member {_short(info.filename)!r} appears twice, "
                                  "perhaps spelled apart only in case or Unicode form (which one is real?)")
        seen.add(key)
        parts = key.split("/")
        folders.update("/".join(parts[:n]) for n in range(1, len(parts)))
        if info.is_dir():
            folders.add(key)
        else:
            files[key] = info.filename
        if info.flag_bits & 0x1:
            raise ArchiveRejected(f"{path} was refused: member {_short(info.filename)!r} is encrypted; EndNote never "
                                  "encrypts a compressed library")
        if info.compress_type not in SUPPORTED_METHODS:
            raise ArchiveRejected(f"{path} was refused: member {_short(info.filename)!r} uses compression method "
                                  f"{info.compress_type}, which EndNote does not write (only stored and deflate)")
        expanded += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ArchiveRejected(f"{path} was refused: member {_short(info.filename)!r} expands {info.file_size >> 20} MB "
                                  f"from {info.compress_size >> 10} KB (a zip bomb?)")
    if both := sorted(folders & files.keys()):
        raise ArchiveRejected(f"{path} was refused: member {_short(files[both[0]])!r} is both a file and a folder "
                              "of other members (which one is real?)")
    if expanded > MAX_EXPANDED_BYTES:
        raise ArchiveRejected(f"{path} was refused: it expands to {expanded >> 30} GB")
    size = path.stat().st_size
    if expanded > TOTAL_FLOOR and expanded > MAX_TOTAL_RATIO * max(size, 1):
        raise ArchiveRejected(f"{path} was refused: its {size >> 10} KB expand to {expanded >> 20} MB (a zip bomb?)")
    return infos


@contextmanager
def open_archive(path: Path) -> Iterator[tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]]:
    """Given a `.enlx`, yield the open archive and its members once the limits above hold.

    Raise ArchiveRejected for anything unsound, including an archive that is no zip or cannot be read.
    """
    try:
        fd = open_regular(path)   # a FIFO named X.enlx must not block the reader
    except NotRegular as error:
        raise ArchiveRejected(f"{path} {error}") from error
    except FileNotFoundError as error:
        raise ArchiveRejected(f"no file at {path}") from error
    except OSError as error:
        raise ArchiveRejected(f"cannot read {path}: {error.strerror or error}") from error
    try:
        with os.fdopen(fd, "rb") as handle, zipfile.ZipFile(handle) as archive:
            yield archive, _check_members(archive, path)
    except zipfile.BadZipFile as error:
        raise ArchiveRejected(f"{path} is not a readable zip archive ({error}); it may be truncated") from error
    except zipfile.LargeZipFile as error:
        raise ArchiveRejected(f"{path} is too large to read ({error})") from error
    except FileNotFoundError as error:
        raise ArchiveRejected(f"no file at {path}") from error
    except (NotImplementedError, RuntimeError) as error:   # zipfile's words for "method" and "encrypted"
        raise ArchiveRejected(f"{path} cannot be read: {error}") from error
    except (EOFError, ValueError) as error:
        raise ArchiveRejected(f"{path} cannot be read ({error})") from error


def extract_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, path: Path) -> None:
    """Given an open archive, one of its checked members and a new file path, write the member there.

    Refuse (ArchiveRejected) a folder without room for it, or a member that does not read back intact.
    """
    free = shutil.disk_usage(target.parent).free
    if info.file_size * FREE_SPACE_MARGIN > free:
        raise ArchiveRejected(f"{path}: not enough room to unpack {info.filename!r} ({info.file_size >> 20} MB, "
                              f"{free >> 20} MB free in {target.parent})")
    try:
        # 0600 whatever the umask, like every file endnoted writes: a library holds the account e-mail.
        sink_fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), PRIVATE_FILE)
        with os.fdopen(sink_fd, "wb") as sink, archive.open(info) as member:
            shutil.copyfileobj(member, sink, CHUNK)
    except zipfile.BadZipFile as error:
        raise ArchiveRejected(f"{path}: member {info.filename!r} is corrupt ({error})") from error
    except (NotImplementedError, RuntimeError, EOFError, ValueError) as error:
        raise ArchiveRejected(f"{path}: member {info.filename!r} cannot be read ({error})") from error
