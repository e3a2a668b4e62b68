"""Local-folder buckets: atomic writes under failure, hidden partial files, and keys that must not escape."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.errors import TransientError
from pipeline.storage import AccessDenied, InvalidKey, open_store
from pipeline.storage.local import LocalStore


def every_file(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "archive"


@pytest.fixture
def store(root: Path) -> LocalStore:
    opened = open_store(root.as_uri())
    assert isinstance(opened, LocalStore)
    return opened


def failing(error: int, calls: list[str]) -> Callable[..., None]:
    """A stand-in for an ``os`` function that fails like a sick disk."""

    def fail(*args: object) -> None:
        calls.append("failed")
        raise OSError(error, os.strerror(error))

    return fail


@pytest.mark.parametrize("function", ["fsync", "replace"])
def test_a_write_that_fails_midway_leaves_no_object_and_no_partial_file(
    store: LocalStore, root: Path, monkeypatch: pytest.MonkeyPatch, function: str
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(os, function, failing(errno.EIO, calls))
    with pytest.raises(TransientError):
        store.write("2025/06/03/abc", b"x" * 100_000)
    monkeypatch.undo()
    assert calls == ["failed"]
    assert not store.exists("2025/06/03/abc")
    assert list(store.list()) == []
    assert every_file(root) == []  # not even a hidden temporary file


def test_a_failed_overwrite_keeps_the_old_content_whole(
    store: LocalStore, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write("SP1/answer.edi", b"old answer")
    calls: list[str] = []
    monkeypatch.setattr(os, "fsync", failing(errno.ENOSPC, calls))  # disk full while flushing
    with pytest.raises(TransientError, match="No space"):
        store.write("SP1/answer.edi", b"new answer that never lands")
    monkeypatch.undo()
    assert store.read("SP1/answer.edi") == b"old answer"
    assert every_file(root) == ["SP1/answer.edi"]


def test_only_this_stores_own_partial_files_are_not_listed(store: LocalStore, root: Path) -> None:
    """Nothing a sender drops is silently ignored, hidden files and folders included (intake quarantines them
    by name); the temporary files of this store's own writes in progress are never listed."""
    store.write("SP1/done.edi", b"complete")
    (root / "SP1" / ".done.edi.k3x9_a2q.partial").write_bytes(b"half")  # a write killed midway
    (root / "SP1" / ".upload.edi.part").write_bytes(b"half")
    (root / ".tmp-folder").mkdir()
    (root / ".tmp-folder" / "x.edi").write_bytes(b"x")
    assert [o.key for o in store.list()] == [".tmp-folder/x.edi", "SP1/.upload.edi.part", "SP1/done.edi"]
    with pytest.raises(InvalidKey):
        store.write("SP1/.hidden.edi", b"would be taken for a partial write")


def test_folders_are_created_on_demand(tmp_path: Path) -> None:
    store = open_store((tmp_path / "not" / "yet").as_uri())
    assert list(store.list()) == []
    assert not store.exists("a/b")
    store.write("a/b/c.xml", b"<c/>")
    assert (tmp_path / "not" / "yet" / "a" / "b" / "c.xml").read_bytes() == b"<c/>"


def test_keys_cannot_escape_the_root(store: LocalStore, tmp_path: Path) -> None:
    for key in ("../outside.edi", "SP1/../../outside.edi"):
        with pytest.raises(InvalidKey):
            store.write(key, b"x")
        with pytest.raises(InvalidKey):
            store.read(key)
    assert not (tmp_path / "outside.edi").exists()
    with pytest.raises(InvalidKey):
        store.list("../")


def test_an_object_and_a_folder_cannot_share_a_name(store: LocalStore) -> None:
    store.write("SP1/x", b"object")
    with pytest.raises(InvalidKey):
        store.write("SP1/x/y", b"below an object")
    assert store.read("SP1/x") == b"object"


def test_objects_are_readable_by_other_accounts(store: LocalStore, root: Path) -> None:
    store.write("SP1/responses/a.edi.contrl.edi", b"UNB")
    assert (root / "SP1" / "responses" / "a.edi.contrl.edi").stat().st_mode & 0o777 == 0o644


def test_store_url_is_the_folder_uri(store: LocalStore, root: Path) -> None:
    assert store.url == root.as_uri()
    assert open_store(f"file://localhost{root}").url == root.as_uri()


def test_an_unreadable_folder_is_an_error_not_an_empty_listing(
    store: LocalStore, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write("SP1/a.edi", b"x")
    real_scandir = os.scandir

    def scandir(path: object) -> object:
        if Path(str(path)) == root / "SP1":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(AccessDenied):
        list(store.list())
