"""The storage contract, run unchanged against a local folder, an S3 bucket and an S3 bucket with a prefix (moto's
standalone server over HTTP). Code above the storage layer relies on exactly these behaviours."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest

from pipeline.errors import TerminalError
from pipeline.storage import InvalidKey, ObjectInfo, ObjectNotFound, Store, open_store


@pytest.fixture(params=["file", "s3", "s3-prefixed"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "file":
        return open_store((tmp_path / "bucket").as_uri())
    client: Any = request.getfixturevalue("s3_client")
    bucket = request.getfixturevalue("s3_bucket")
    suffix = "/tenant/carm" if request.param == "s3-prefixed" else ""
    return open_store(f"s3://{bucket}{suffix}", s3_client=client)


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def test_written_object_reads_back_byte_for_byte(store: Store) -> None:
    data = b"UNA:+.? 'UNB+UNOC:3+SP00042:ZZ+CBSACARM:ZZ+261126:0930+ICR000017'\xe9\x00\xff"
    info = store.write("SP00042/cads 1.edi", data)
    assert info == ObjectInfo("SP00042/cads 1.edi", len(data), md5(data), info.modified)
    assert info.modified.utcoffset() is not None
    assert store.read("SP00042/cads 1.edi") == data


def test_empty_and_non_ascii_names_round_trip(store: Store) -> None:
    store.write("SP00042/déclaration été.xml", b"")
    assert store.read("SP00042/déclaration été.xml") == b""
    assert [(o.key, o.size) for o in store.list()] == [("SP00042/déclaration été.xml", 0)]


def test_list_reports_size_and_etag_of_every_object_in_key_order(store: Store) -> None:
    contents = {"b/2.edi": b"two", "a/1.edi": b"one!", "a/0.xml": b"<x/>", "c": b"c" * 70_000}
    written = {key: store.write(key, data) for key, data in contents.items()}
    listed = list(store.list())
    assert [o.key for o in listed] == sorted(contents)
    for info in listed:
        assert info.size == len(contents[info.key])
        assert info.etag == md5(contents[info.key]) == written[info.key].etag


def test_overwrite_replaces_the_content_and_the_etag(store: Store) -> None:
    first = store.write("k/file.edi", b"version one")
    second = store.write("k/file.edi", b"version two, longer")
    assert store.read("k/file.edi") == b"version two, longer"
    assert second.etag != first.etag
    assert [(o.key, o.size, o.etag) for o in store.list()] == [("k/file.edi", 19, second.etag)]


def test_a_write_leaves_exactly_one_visible_object(store: Store) -> None:
    for number in range(5):
        store.write("SP1/answer.edi", f"attempt {number}".encode())
    assert [o.key for o in store.list()] == ["SP1/answer.edi"]


def test_prefix_is_a_plain_string_prefix_as_on_s3(store: Store) -> None:
    for key in ("SP1/a.edi", "SP1/responses/a.edi.contrl.edi", "SP10/b.edi", "SP2/c.xml", "top.edi"):
        store.write(key, key.encode())
    assert [o.key for o in store.list("SP1/")] == ["SP1/a.edi", "SP1/responses/a.edi.contrl.edi"]
    assert [o.key for o in store.list("SP1")] == ["SP1/a.edi", "SP1/responses/a.edi.contrl.edi", "SP10/b.edi"]
    assert [o.key for o in store.list("SP1/responses/a")] == ["SP1/responses/a.edi.contrl.edi"]
    assert [o.key for o in store.list("t")] == ["top.edi"]
    assert list(store.list("nothing/")) == []
    assert len(list(store.list())) == 5


def test_missing_object_is_a_terminal_not_found(store: Store) -> None:
    store.write("SP1/present.edi", b"x")
    with pytest.raises(ObjectNotFound) as raised:
        store.read("SP1/absent.edi")
    assert isinstance(raised.value, TerminalError)
    assert "SP1/absent.edi" in str(raised.value)
    with pytest.raises(ObjectNotFound):
        store.read("SP1")  # a folder is not an object


def test_exists_and_delete(store: Store) -> None:
    store.write("SP1/x.edi", b"x")
    assert store.exists("SP1/x.edi")
    assert not store.exists("SP1/y.edi")
    store.delete("SP1/x.edi")
    assert not store.exists("SP1/x.edi")
    store.delete("SP1/x.edi")  # deleting again is harmless: retries stay safe
    assert list(store.list()) == []


@pytest.mark.parametrize("key", ["", "/abs.edi", "../escape.edi", "a/../../escape.edi", "a//b.edi", "a/./b", "a/"])
def test_keys_that_no_store_can_hold_unambiguously_are_refused(store: Store, key: str) -> None:
    with pytest.raises(InvalidKey):
        store.write(key, b"x")
    assert list(store.list()) == []


def test_text_must_be_encoded_before_writing(store: Store) -> None:
    with pytest.raises(TypeError):
        store.write("SP1/x.edi", "text")  # type: ignore[arg-type]


def test_url_for_names_the_object(store: Store, s3_or_none: Any) -> None:
    store.write("SP1/x y.edi", b"payload")
    url = store.url_for("SP1/x y.edi")
    parts = urlsplit(url)
    if parts.scheme == "file":
        assert Path(url2pathname(parts.path)).read_bytes() == b"payload"
        assert url.startswith(store.url + "/")
    else:
        assert url == store.url + "/SP1/x y.edi"
        bucket, _, prefix = store.url.removeprefix("s3://").partition("/")
        key = f"{prefix}/SP1/x y.edi" if prefix else "SP1/x y.edi"
        assert s3_or_none.get_object(Bucket=bucket, Key=key)["Body"].read() == b"payload"


@pytest.fixture
def s3_or_none(store: Store, request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue("s3_client") if store.url.startswith("s3:") else None
