"""The zone files a binary carries as zoneinfo's last resort (freezer/tz_database.py), read
from a runtime root as the target would see them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from freezer import tz_database

SYSTEM_ZONES = Path("/usr/share/zoneinfo")


def _entries(blob: bytes) -> dict[str, bytes]:
    """The entry parsed as runtime/tzdata.py parses it."""
    assert blob.startswith(tz_database.MAGIC)
    index, _, data = blob[len(tz_database.MAGIC):].partition(b"\n\n")
    found = {}
    for line in index.decode().splitlines():
        key, offset, size = line.rsplit(" ", 2)
        found[key] = data[int(offset):int(offset) + int(size)]
    return found


def test_zones_of_a_root(tmp_path: Path) -> None:
    """Zone files under the first TZPATH directory that has them, inside the root: its
    absolute links resolved inside it, right/ and posix/ and files that are not TZif left
    out, identical files stored once."""
    paris = SYSTEM_ZONES / "Europe" / "Paris"
    if not paris.is_file():
        pytest.skip(f"no {paris} to copy")
    zones = tmp_path / "root" / "usr" / "share" / "zoneinfo"
    (zones / "Europe").mkdir(parents=True)
    (zones / "right" / "Europe").mkdir(parents=True)
    data = paris.read_bytes()
    (zones / "Europe" / "Paris").write_bytes(data)
    (zones / "right" / "Europe" / "Paris").write_bytes(data)
    (zones / "zone.tab").write_text("FR\t+4852+00220\tEurope/Paris\n")
    os.symlink("/usr/share/zoneinfo/Europe/Paris", zones / "localtime")
    os.symlink("/nowhere/at/all", zones / "dangling")
    tzpath = os.pathsep.join(["/etc/zoneinfo", "/usr/share/zoneinfo"])
    blob = tz_database.tz_database(tzpath, str(tmp_path / "root"))
    assert blob is not None
    assert _entries(blob) == {"Europe/Paris": data, "localtime": data}
    assert blob.count(data) == 1


def test_no_zone_files(tmp_path: Path) -> None:
    """A target without zone files: nothing is carried."""
    (tmp_path / "usr" / "share" / "zoneinfo").mkdir(parents=True)
    assert tz_database.tz_database("/usr/share/zoneinfo", str(tmp_path)) is None
    assert tz_database.tz_database("", str(tmp_path)) is None
