"""Configuration from the environment: the embedded defaults of spec/interfaces.md and clear errors."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pytest

from pipeline.config import EASTERN, Settings, debug_requested, parse_as_of, shipped_reference_dir
from pipeline.errors import ConfigurationError
from pipeline.storage import open_buckets
from pipeline.storage.local import LocalStore


def test_defaults_live_under_var_in_the_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    home = tmp_path / "var"
    assert settings.home == home
    assert settings.db_url == f"sqlite:///{home}/carm.db"
    assert settings.inbound_url == f"file://{home}/buckets/inbound"
    assert settings.outbound_url == f"file://{home}/buckets/outbound"
    assert settings.archive_url == f"file://{home}/buckets/archive"
    assert settings.refdata_dir == shipped_reference_dir()
    assert shipped_reference_dir().is_dir()
    assert settings.aws_endpoint_url is None
    assert settings.as_of is None and settings.business_date is None
    assert settings.max_file_bytes == 50 * 1024 * 1024
    assert settings.intake_batch_size == 50
    assert settings.debug is False
    assert settings.user_refdata_dir is None  # the shipped data: commands report it as such


def test_carm_home_moves_every_derived_default() -> None:
    settings = Settings.from_env({"CARM_HOME": "/srv/carm"})
    assert settings.db_url == "sqlite:////srv/carm/carm.db"
    assert settings.archive_url == "file:///srv/carm/buckets/archive"


def test_explicit_values_win() -> None:
    settings = Settings.from_env(
        {
            "CARM_HOME": "/srv/carm",
            "CARM_DB_URL": "postgresql+psycopg://carm@db/carm",
            "CARM_INBOUND_URL": "s3://carm-inbound",
            "CARM_OUTBOUND_URL": "s3://carm-outbound/prod",
            "CARM_ARCHIVE_URL": "file:///mnt/archive",
            "CARM_REFDATA_DIR": "/srv/refdata",
            "AWS_ENDPOINT_URL": "http://minio:9000",
            "CARM_AS_OF": "2025-06-03T16:30",
            "CARM_MAX_FILE_BYTES": "1048576",
            "CARM_INTAKE_BATCH_SIZE": " 10 ",
            "CARM_DEBUG": "1",
        }
    )
    assert settings.db_url == "postgresql+psycopg://carm@db/carm"
    assert (settings.inbound_url, settings.outbound_url) == ("s3://carm-inbound", "s3://carm-outbound/prod")
    assert settings.archive_url == "file:///mnt/archive"
    assert settings.refdata_dir == Path("/srv/refdata")
    assert settings.aws_endpoint_url == "http://minio:9000"
    assert settings.as_of == datetime(2025, 6, 3, 16, 30, tzinfo=EASTERN)
    assert settings.max_file_bytes == 1_048_576
    assert settings.intake_batch_size == 10
    assert settings.debug is True
    assert settings.user_refdata_dir == Path("/srv/refdata")


def test_as_of_is_eastern_business_time() -> None:
    start = parse_as_of("2025-07-01")
    assert start == datetime(2025, 7, 1, 0, 0, tzinfo=EASTERN)
    assert start.utcoffset().total_seconds() == -4 * 3600  # EDT in July
    assert parse_as_of("2025-01-15T09:05").utcoffset().total_seconds() == -5 * 3600  # EST in January
    assert Settings.from_env({"CARM_AS_OF": "2025-06-17"}).business_date.isoformat() == "2025-06-17"


def test_empty_variables_mean_the_default(tmp_path: Path) -> None:
    settings = Settings.from_env({"CARM_HOME": str(tmp_path), "CARM_DB_URL": "", "CARM_AS_OF": "", "AWS_ENDPOINT_URL": ""})
    assert settings.db_url == f"sqlite:///{tmp_path}/carm.db"
    assert settings.as_of is None and settings.aws_endpoint_url is None


def test_reads_the_process_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARM_HOME", "/srv/other")
    monkeypatch.setenv("CARM_MAX_FILE_BYTES", "10")
    settings = Settings.from_env()
    assert settings.home == Path("/srv/other") and settings.max_file_bytes == 10


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CARM_MAX_FILE_BYTES", "fifty"),
        ("CARM_MAX_FILE_BYTES", "0"),
        ("CARM_MAX_FILE_BYTES", "-5"),
        ("CARM_MAX_FILE_BYTES", "1e6"),
        ("CARM_AS_OF", "2025-13-01"),
        ("CARM_AS_OF", "06/03/2025"),
        ("CARM_AS_OF", "2025-06-03 16:30"),
        ("CARM_INBOUND_URL", "ftp://host/inbound"),
        ("CARM_OUTBOUND_URL", "s3://"),
        ("CARM_ARCHIVE_URL", "file://relative/archive"),
        ("CARM_ARCHIVE_URL", "/srv/archive"),
        ("AWS_ENDPOINT_URL", "minio:9000"),
        ("CARM_DB_URL", "carm.db"),
        ("CARM_INTAKE_BATCH_SIZE", "0"),
        ("CARM_INTAKE_BATCH_SIZE", "ten"),
        ("CARM_INTAKE_BATCH_SIZE", "-5"),
        ("CARM_INTAKE_BATCH_SIZE", "10001"),
        ("CARM_INTAKE_BATCH_SIZE", "\u00b2"),  # a digit to str.isdigit, not to int()
    ],
)
def test_malformed_values_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        Settings.from_env({variable: value})


def test_a_bad_batch_size_says_what_is_expected() -> None:
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env({"CARM_INTAKE_BATCH_SIZE": "100000"})
    assert str(raised.value) == "CARM_INTAKE_BATCH_SIZE='100000': expected a whole number from 1 to 10000"


def test_debug_is_known_even_when_another_variable_is_wrong() -> None:
    # The CLI's last line of defence asks for CARM_DEBUG whatever else is wrong with the configuration.
    environ = {"CARM_DEBUG": "1", "CARM_DB_URL": "carm.db"}
    with pytest.raises(ConfigurationError, match="CARM_DB_URL"):
        Settings.from_env(environ)
    assert debug_requested(environ) is True
    assert debug_requested({"CARM_DEBUG": ""}) is debug_requested({}) is False


def test_settings_are_immutable() -> None:
    settings = Settings.from_env({"CARM_HOME": "/srv/carm"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.db_url = "sqlite://"  # type: ignore[misc]


def test_default_buckets_are_local_folders_under_home(tmp_path: Path) -> None:
    buckets = open_buckets(Settings.from_env({"CARM_HOME": str(tmp_path)}))
    assert all(isinstance(store, LocalStore) for store in (buckets.inbound, buckets.outbound, buckets.archive))
    buckets.inbound.write("SP00042/a.edi", b"UNB")
    assert (tmp_path / "buckets" / "inbound" / "SP00042" / "a.edi").read_bytes() == b"UNB"
