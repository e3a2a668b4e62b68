"""A bucket that is a plain local folder (``file://`` URLs): the default, for one machine and for tests.

Writes go to a hidden temporary file in the destination folder (``.<name>.<8 random characters>.partial``), are
flushed to disk, and are then renamed over the destination with ``os.replace`` (atomic on POSIX within one file
system), so a reader never sees a partly written object. ``list`` skips those temporary files while they are
fresh (``PARTIAL_WRITE_GRACE``), and only those:
every other file is listed, hidden ones included, so that nothing a sender drops is silently ignored (intake
quarantines hidden files by their name; upload tools that write under a hidden temporary name, such as rsync,
must be told to write elsewhere: see docs/operations.md). This store refuses to write names starting with ``.``.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.clock import real_now
from pipeline.errors import TransientError
from pipeline.storage.base import ObjectInfo, check_data, check_key
from pipeline.storage.errors import AccessDenied, BucketNotFound, InvalidKey, ObjectNotFound

_FILE_MODE = 0o644  # answers and statements are read by other accounts on the host (sftp, web server)


def _md5(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, lambda: hashlib.md5(usedforsecurity=False)).hexdigest()


def _fresh(path: Path) -> bool:
    try:
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except FileNotFoundError:
        return True  # renamed into place meanwhile: the real file is listed under its own name
    return real_now() - modified < PARTIAL_WRITE_GRACE


def _raise_unless_vanished(error: OSError) -> None:
    """``os.walk`` ignores errors by default; an unreadable folder must not look like an empty one."""
    if not isinstance(error, FileNotFoundError):
        raise error


def _hidden(relative: str) -> bool:
    return any(segment.startswith(".") for segment in relative.split("/"))


#: The temporary file of a write in progress (``tempfile.mkstemp`` draws its 8 characters from [a-z0-9_]).
_PARTIAL = re.compile(r"\..+\.[a-z0-9_]{8}\.partial", re.DOTALL)
#: A write in progress lasts seconds; a partial file older than this is a leftover of a killed writer, or a file a
#: sender named like one: it is listed like any other file (intake quarantines it by its leading dot).
PARTIAL_WRITE_GRACE = timedelta(hours=1)


class LocalStore:
    def __init__(self, root: Path) -> None:
        self._root = Path(os.path.abspath(root))

    def __repr__(self) -> str:
        return f"LocalStore({self.url})"

    @property
    def url(self) -> str:
        return self._root.as_uri()

    @property
    def root(self) -> Path:
        return self._root

    def url_for(self, key: str) -> str:
        return self._path(key).as_uri()

    def _path(self, key: str, *, written: bool = False) -> Path:
        # A backslash is a plain character of a POSIX file name: what a sender dropped under such a name can be
        # read, quarantined and removed; nothing is written under one.
        return self._root.joinpath(*check_key(key, backslash=not written).split("/"))

    @contextmanager
    def _faults(self, key: str) -> Iterator[None]:
        where = self._root.joinpath(key).as_uri() if key else self.url
        try:
            yield
        except FileNotFoundError as exc:
            raise ObjectNotFound(where) from exc
        except PermissionError as exc:
            raise AccessDenied(f"{where}: permission denied") from exc
        except (IsADirectoryError, NotADirectoryError, FileExistsError) as exc:
            if self._root.exists() and not self._root.is_dir():
                raise BucketNotFound(f"{self.url} (a file, not a folder)") from exc  # misconfigured, not this key
            raise InvalidKey(f"{where}: a folder and an object would share this name") from exc
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                raise InvalidKey(f"{where}: name too long for this file system") from exc
            # Disk full, I/O error, stale network mount: an operator can fix these, so a retry may succeed.
            raise TransientError(f"{where}: {exc.strerror or exc}") from exc

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        folder = prefix.rpartition("/")[0]
        base = self._path(folder) if folder else self._root  # checked now, not at the first next()
        return self._list(prefix, folder, base)

    def _list(self, prefix: str, folder: str, base: Path) -> Iterator[ObjectInfo]:
        with self._faults(folder):
            if not base.is_dir():
                return
            keys = []
            for directory, _, files in os.walk(base, onerror=_raise_unless_vanished):
                relative_dir = Path(directory).relative_to(self._root).as_posix()
                for name in files:
                    if _PARTIAL.fullmatch(name) and _fresh(Path(directory) / name):
                        continue
                    key = name if relative_dir == "." else f"{relative_dir}/{name}"
                    if key.startswith(prefix):
                        keys.append(key)
        # Code-point order of str equals the UTF-8 byte order S3 lists in.
        for key in sorted(keys):
            path = self._root.joinpath(*key.split("/"))
            try:
                with self._faults(key):
                    stat = path.stat()
                    modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                    etag = _md5(path)
            except ObjectNotFound:
                continue  # deleted between the walk and now: it is simply no longer there
            yield ObjectInfo(key, stat.st_size, etag, modified)

    def read(self, key: str) -> bytes:
        path = self._path(key)
        with self._faults(key):
            if path.is_dir():
                raise FileNotFoundError(errno.ENOENT, "is a folder", str(path))
            return path.read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        with self._faults(key), suppress(FileNotFoundError):
            path.unlink()

    def write(self, key: str, data: bytes) -> ObjectInfo:
        path = self._path(key, written=True)
        if _hidden(key):
            raise InvalidKey(f"invalid key {key!r}: names starting with '.' are reserved for partial writes")
        data = check_data(data)
        with self._faults(key):
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    os.fchmod(handle.fileno(), _FILE_MODE)
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, path)
            except BaseException:
                with suppress(OSError):
                    os.unlink(temporary)
                raise
            self._sync_folder(path.parent)
            stat = path.stat()
        return ObjectInfo(
            key, stat.st_size, hashlib.md5(data, usedforsecurity=False).hexdigest(),
            datetime.fromtimestamp(stat.st_mtime, UTC),
        )

    @staticmethod
    def _sync_folder(folder: Path) -> None:
        """Make the rename itself durable (POSIX: the directory entry lives in the folder)."""
        try:
            descriptor = os.open(folder, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(descriptor)
        except OSError:
            pass  # some file systems cannot fsync a directory; the rename is still atomic
        finally:
            os.close(descriptor)
