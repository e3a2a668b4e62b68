"""S3 buckets through boto3 against moto's standalone server: endpoint configuration, prefixes, odd keys, and the
translation of S3 faults into transient and terminal errors."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pipeline.config import Settings
from pipeline.errors import TerminalError, TransientError
from pipeline.storage import (
    AccessDenied,
    BucketNotFound,
    ObjectNotFound,
    StorageError,
    open_buckets,
    open_store,
)
from pipeline.storage.s3 import _client_fault


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_client_is_built_from_aws_endpoint_url(
    s3_endpoint: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    for variable in ("CARM_INBOUND_URL", "CARM_OUTBOUND_URL", "CARM_ARCHIVE_URL"):
        monkeypatch.setenv(variable, f"s3://{s3_bucket}/{variable.lower()}")
    monkeypatch.setenv("CARM_HOME", str(tmp_path))
    settings = Settings.from_env()  # the process environment reaches the client through Settings, nowhere else
    assert settings.aws_endpoint_url == s3_endpoint
    store = open_buckets(settings).inbound
    store.write("SP1/a.edi", b"via the environment")
    assert store.read("SP1/a.edi") == b"via the environment"


def test_settings_open_all_three_buckets_on_one_endpoint(s3_endpoint: str, s3_client: Any, tmp_path: Any) -> None:
    names = {}
    for role in ("inbound", "outbound", "archive"):
        names[role] = f"carm-{role}-{id(names)}"
        s3_client.create_bucket(Bucket=names[role])
    settings = Settings.from_env(
        {
            "CARM_HOME": str(tmp_path),
            "CARM_INBOUND_URL": f"s3://{names['inbound']}",
            "CARM_OUTBOUND_URL": f"s3://{names['outbound']}/answers",
            "CARM_ARCHIVE_URL": f"s3://{names['archive']}",
            "AWS_ENDPOINT_URL": s3_endpoint,
        }
    )
    buckets = open_buckets(settings)
    buckets.outbound.write("SP1/responses/a.edi.contrl.edi", b"UNB")
    assert buckets.outbound.url == f"s3://{names['outbound']}/answers"
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=names["outbound"])["Contents"]]
    assert keys == ["answers/SP1/responses/a.edi.contrl.edi"]
    assert list(buckets.inbound.list()) == list(buckets.archive.list()) == []


def test_prefix_keeps_tenants_apart(s3_client: Any, s3_bucket: str) -> None:
    s3_client.put_object(Bucket=s3_bucket, Key="other/SP1/a.edi", Body=b"not ours")
    store = open_store(f"s3://{s3_bucket}/mine/", s3_client=s3_client)
    store.write("SP1/a.edi", b"ours")
    assert [(o.key, o.size) for o in store.list()] == [("SP1/a.edi", 4)]
    assert s3_client.get_object(Bucket=s3_bucket, Key="mine/SP1/a.edi")["Body"].read() == b"ours"


def test_oddly_named_uploads_can_still_be_read_and_removed(s3_client: Any, s3_bucket: str) -> None:
    # A sender's tool may upload keys a local folder could not hold; intake must still read and quarantine them.
    s3_client.put_object(Bucket=s3_bucket, Key="SP1//double.edi", Body=b"odd")
    store = open_store(f"s3://{s3_bucket}", s3_client=s3_client)
    [listed] = store.list()
    assert listed.key == "SP1//double.edi"
    assert store.read(listed.key) == b"odd"
    store.delete(listed.key)
    assert not store.exists(listed.key)


def test_missing_bucket_is_terminal(s3_client: Any) -> None:
    store = open_store("s3://carm-no-such-bucket", s3_client=s3_client)
    with pytest.raises(BucketNotFound):
        list(store.list())
    with pytest.raises(BucketNotFound):
        store.write("SP1/a.edi", b"x")
    with pytest.raises((BucketNotFound, ObjectNotFound)):
        store.read("SP1/a.edi")


def test_unreachable_endpoint_is_transient(monkeypatch: pytest.MonkeyPatch, s3_endpoint: str) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # boto3's own retry setting; keeps the test fast
    store = open_store("s3://carm-inbound", endpoint_url=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(TransientError, match="unreachable"):
        list(store.list())
    with pytest.raises(TransientError):
        store.read("SP1/a.edi")
    with pytest.raises(TransientError):
        store.write("SP1/a.edi", b"x")
    with pytest.raises(TransientError):
        store.exists("SP1/a.edi")


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("SlowDown", 503, TransientError),
        ("InternalError", 500, TransientError),
        ("ThrottlingException", 400, TransientError),
        ("TooManyRequests", 429, TransientError),
        ("AccessDenied", 403, AccessDenied),
        ("InvalidAccessKeyId", 403, AccessDenied),
        ("NoSuchKey", 404, ObjectNotFound),
        ("NoSuchBucket", 404, BucketNotFound),
        ("InvalidBucketName", 400, StorageError),
    ],
)
def test_s3_error_codes_are_translated(code: str, status: int, expected: type[Exception]) -> None:
    error = ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")
    fault = _client_fault(error, "s3://b/k", about_object=True)
    assert type(fault) is expected
    assert isinstance(fault, TerminalError) != (expected is TransientError)
    assert "s3://b/k" in str(fault)
