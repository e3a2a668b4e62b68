"""An S3 endpoint for tests: moto's standalone server, over real HTTP on 127.0.0.1 (boto3 is never patched)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer


@contextmanager
def running_s3_server() -> Iterator[str]:
    """Start a moto server on a free port; yield its endpoint URL; stop it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
