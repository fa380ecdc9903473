"""Files endnoted writes: private permissions whatever the umask, and a rename that never replaces;
and the one bounded way to read a small file a user names (the config).

Privacy (issue #12): the state folder, `state.db` and its `-wal`/`-shm`, the lock, `integrity.json`,
the backups folder and every backup are ours alone, 0700 for folders and 0600 for files, even
under umask 022 (a backup holds the account e-mail). SQLite creates `-wal`, `-shm` and `-journal`
with the permissions of the database file, so a database made 0600 first keeps them private.

No replacement: a restored library or a backup takes its final name only if nothing has that name,
even if another program creates it a moment before. Each platform has its own primitive:
- Linux: `renameat2(..., RENAME_NOREPLACE)` (glibc 2.28+, most local filesystems);
- macOS: `renamex_np(..., RENAME_EXCL)` (APFS and HFS+);
- Windows: `os.rename` already fails when the target exists (MoveFileEx without REPLACE_EXISTING);
- elsewhere, or when the filesystem refuses the primitive (EINVAL, ENOSYS: some network and FUSE
  filesystems): a file is hard-linked to its new name (link fails if the name exists) and the old
  name unlinked (FAT and exFAT have no hard links: there, a look and a plain rename, with a window
  between them); a folder claims its new name with an exclusive `mkdir` and its entries are moved
  in one by one, each without replacement.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
import sys
from pathlib import Path

from endnoted.common.errors import UsageError

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def kind_of(mode: int) -> str:
    """Given a stat mode that is not a regular file's, name what it is ("a FIFO", "a character device")."""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a file"


class NotRegular(OSError):
    """The path is a FIFO, a device, a socket or a folder: nothing we may open and read like a file."""


def open_regular(path: Path) -> int:
    """Given a path a user named (or one inside a library), return a read-only descriptor of it.

    The one test of "a regular file" for everything endnoted reads: databases, archives, exports,
    the config. Raise NotRegular (its message: "is a FIFO, not a regular file") for anything else:
    a FIFO would wait for a writer for ever, /dev/zero never ends. Opened non-blocking and judged on
    the open descriptor, so nothing swapped in after a look can make us wait. OSError passes through.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegular(f"is {kind_of(mode)}, not a regular file")
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
        return fd
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: Path, *, limit: int, what: str) -> bytes:
    """Given a path a user named, return its bytes: only a regular file of at most `limit` bytes.

    Anything else is one UsageError naming `what` and why: a device (/dev/zero never ends), a FIFO
    (it would wait for a writer), a folder, or a file larger than `limit` (also one that grows while
    read: at most limit + 1 bytes are ever read). Opened without blocking and judged on the open
    descriptor, so nothing can be swapped in between the look and the read. OSError passes through.
    """
    try:
        fd = open_regular(path)
    except NotRegular as error:
        raise UsageError(f"{what} {path} {error}; name a file") from error
    try:
        info = os.fstat(fd)
        too_big = UsageError(f"{what} {path} is larger than {limit // 1024} KB; that cannot be a {what}")
        if info.st_size > limit:
            raise too_big
        chunks: list[bytes] = []
        size = 0
        while size <= limit and (chunk := os.read(fd, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise too_big
        return b"".join(chunks)
    finally:
        os.close(fd)


def private_dir(path: Path, *, ours: bool = True) -> Path:
    """Given a folder path, create it (and missing parents) with the folder itself 0700; return it.

    `ours`: the folder is endnoted's own (the state folder), so an existing one is made 0700 too.
    A folder the user named (`backup --to ~/Documents`) keeps its mode if it exists already.
    """
    existed = path.is_dir()
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    if ours or not existed:
        _chmod(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """Given a file path, make the file 0600 if it exists (best effort on filesystems without modes)."""
    _chmod(path, PRIVATE_FILE)
    return path


def private_tree(folder: Path) -> list[Path]:
    """Given a folder endnoted wrote (a folder backup, a restored library), make it and every folder in it
    0700 and every file 0600 whatever the umask; return the files, for callers that sync them to disk."""
    _chmod(folder, PRIVATE_DIR)
    files: list[Path] = []
    for root, dirs, names in os.walk(folder):
        for name in dirs:
            _chmod(Path(root) / name, PRIVATE_DIR)
        for name in names:
            _chmod(Path(root) / name, PRIVATE_FILE)
            files.append(Path(root) / name)
    return files


def create_private(path: Path) -> None:
    """Given a file path, create the file empty and 0600 if it does not exist, or make it 0600 if it does.

    Raise NotRegular when something else is at the path (a FIFO would block a plain open for ever):
    opened non-blocking, a FIFO without a reader fails at once (ENXIO), anything else is judged open.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0),
                     PRIVATE_FILE)
    except OSError as error:
        if error.errno == errno.ENXIO:
            raise NotRegular(f"is {kind_of(os.stat(path).st_mode)}, not a regular file") from error
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegular(f"is {kind_of(mode)}, not a regular file")
    finally:
        os.close(fd)
    _chmod(path, PRIVATE_FILE)


def _chmod(path: Path, mode: int) -> None:
    try:
        if (path.stat().st_mode & 0o777) != mode:
            path.chmod(mode)
    except FileNotFoundError:
        pass
    except OSError:   # FAT, SMB shares: no POSIX modes; nothing to enforce there
        pass


_RENAME_NOREPLACE = 1        # linux/fs.h
_RENAME_EXCL = 0x00000004    # macOS sys/stdio.h
_AT_FDCWD = -100


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _native_noreplace(source: Path, target: Path) -> bool:
    """Try the platform's atomic no-replace rename; True if it ran, False if it is not available here."""
    if sys.platform.startswith("win"):
        os.rename(source, target)   # raises FileExistsError rather than replacing
        return True
    libc = _libc()
    if sys.platform.startswith("linux") and libc is not None and hasattr(libc, "renameat2"):
        result = libc.renameat2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE)
    elif sys.platform == "darwin" and libc is not None and hasattr(libc, "renamex_np"):
        result = libc.renamex_np(os.fsencode(source), os.fsencode(target), _RENAME_EXCL)
    else:
        return False
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False   # the filesystem does not offer it: use the portable way
    if code == errno.EEXIST:
        raise FileExistsError(code, os.strerror(code), str(target))
    raise OSError(code, os.strerror(code), str(source))


def rename_noreplace(source: Path, target: Path, *, native: bool = True) -> None:
    """Given a file or folder and a new name, move it there; raise FileExistsError if the name is taken.

    `native=False` forces the portable way (tests run it on Linux, where it is otherwise unused).
    """
    if native and _native_noreplace(source, target):
        return
    if source.is_dir() and not source.is_symlink():
        os.mkdir(target)   # claims the name, or raises FileExistsError
        for entry in sorted(source.iterdir()):
            rename_noreplace(entry, target / entry.name, native=native)
        source.rmdir()
        return
    try:
        os.link(source, target)    # fails with FileExistsError if the name is taken: no overwrite, even in a race
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK) or target.exists():
            raise
        # FAT and exFAT have no hard links: the last resort leaves a window between the look and the move.
        os.rename(source, target)
        return
    source.unlink()
