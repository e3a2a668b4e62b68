"""A bucket on S3 or any S3-compatible service (``s3://bucket[/prefix]`` URLs), through boto3.

A write is a single PUT, which S3 makes visible atomically. Faults are translated at this boundary: a store that
cannot be reached, throttles or fails on its side raises ``TransientError`` (retry later); a missing object or
bucket and refused access raise the terminal ``StorageError`` family.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from typing import Any

from pipeline.errors import ConfigurationError, TransientError
from pipeline.storage.base import ObjectInfo, check_data, check_key
from pipeline.storage.errors import AccessDenied, BucketNotFound, InvalidKey, ObjectNotFound, StorageError

DEFAULT_REGION = "us-east-1"

_NOT_FOUND = {"NoSuchKey", "NotFound", "404"}
_DENIED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled", "403"}
_TRANSIENT = {
    "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestLimitExceeded",
    "InternalError", "ServiceUnavailable", "503", "500",
}


def make_s3_client(endpoint_url: str | None = None, region: str | None = None) -> Any:
    """A boto3 S3 client for AWS or, with ``endpoint_url``, for an S3-compatible service (MinIO, Ceph, moto).

    Credentials, region and retry settings come from boto3's usual chain (``AWS_ACCESS_KEY_ID``,
    ``AWS_DEFAULT_REGION``, ``AWS_MAX_ATTEMPTS``, ~/.aws, instance roles); the region defaults to us-east-1.
    """
    import boto3
    from botocore.config import Config

    session = boto3.session.Session()
    options: dict[str, Any] = {
        "region_name": region or session.region_name or DEFAULT_REGION,
        "retries": {"mode": "standard"},
        "connect_timeout": 5,
        "read_timeout": 60,
    }
    if endpoint_url:
        # Self-hosted services are usually reached by IP or an internal name, where virtual-host addressing
        # (bucket.host) cannot resolve; several also reject the checksums newer botocore sends by default.
        options["s3"] = {"addressing_style": "path"}
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
    return session.client("s3", endpoint_url=endpoint_url or None, config=Config(**options))


class S3Store:
    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def __repr__(self) -> str:
        return f"S3Store({self.url})"

    @property
    def url(self) -> str:
        return f"s3://{self._bucket}/{self._prefix}".rstrip("/")

    def url_for(self, key: str) -> str:
        return f"s3://{self._bucket}/{self._prefix}{key}"

    def _object_key(self, key: str, *, strict: bool = False) -> str:
        # Writes use only keys that every backend can hold; reads accept whatever the bucket lists, so that a
        # sender's oddly named upload can still be read, archived and quarantined.
        if strict:
            check_key(key)
        elif not isinstance(key, str) or not key:
            raise InvalidKey(f"invalid key {key!r}: empty")
        return self._prefix + key

    @contextmanager
    def _faults(self, key: str | None) -> Iterator[None]:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            HTTPClientError,
            NoCredentialsError,
            ParamValidationError,
            PartialCredentialsError,
        )
        from botocore.exceptions import ConnectionError as EndpointUnreachable

        where = self.url_for(key) if key else self.url
        try:
            yield
        except ClientError as exc:
            raise _client_fault(exc, where, key is not None) from exc
        except (NoCredentialsError, PartialCredentialsError) as exc:
            raise ConfigurationError(f"{where}: no usable AWS credentials ({exc})") from exc
        except (EndpointUnreachable, HTTPClientError) as exc:  # refused, reset, timed out, DNS, proxy, TLS
            raise TransientError(f"{where}: store unreachable ({exc})") from exc
        except ParamValidationError as exc:
            raise StorageError(f"{where}: {exc}") from exc
        except BotoCoreError as exc:
            raise TransientError(f"{where}: {exc}") from exc

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        folder = prefix.rpartition("/")[0]
        if folder:
            check_key(folder)  # checked now, not at the first next()
        return self._list(prefix)

    def _list(self, prefix: str) -> Iterator[ObjectInfo]:
        skip = len(self._prefix)
        with self._faults(None):
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self._bucket, Prefix=self._prefix + prefix):
                for item in page.get("Contents", ()):
                    yield ObjectInfo(
                        item["Key"][skip:], int(item["Size"]), item["ETag"].strip('"'),
                        item["LastModified"].astimezone(UTC),
                    )

    def read(self, key: str) -> bytes:
        object_key = self._object_key(key)
        with self._faults(key):
            response = self._client.get_object(Bucket=self._bucket, Key=object_key)
            with response["Body"] as body:
                return body.read()

    def exists(self, key: str) -> bool:
        object_key = self._object_key(key)
        try:
            with self._faults(key):
                self._client.head_object(Bucket=self._bucket, Key=object_key)
        except ObjectNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        object_key = self._object_key(key)
        with self._faults(key):
            self._client.delete_object(Bucket=self._bucket, Key=object_key)

    def write(self, key: str, data: bytes) -> ObjectInfo:
        object_key = self._object_key(key, strict=True)
        data = check_data(data)
        with self._faults(key):
            self._client.put_object(Bucket=self._bucket, Key=object_key, Body=data)
            head = self._client.head_object(Bucket=self._bucket, Key=object_key)
        return ObjectInfo(
            key, int(head["ContentLength"]), head["ETag"].strip('"'), head["LastModified"].astimezone(UTC)
        )


def _client_fault(exc: Any, where: str, about_object: bool) -> Exception:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    message = f"{where}: {code or status} {error.get('Message', '')}".rstrip()
    if code == "NoSuchBucket":
        return BucketNotFound(where)
    if code in _NOT_FOUND or status == 404:
        return ObjectNotFound(where) if about_object else BucketNotFound(where)
    if code in _DENIED or status == 403:
        return AccessDenied(message)
    if code in _TRANSIENT or status == 429 or status >= 500:
        return TransientError(message)
    return StorageError(message)
