"""Unit tests for the payload writer: a valid zip after the bootloader, an honest boot table."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from freezer.errors import FreezeError
from freezer.payload import BOOT_MAGIC, write_atomically, write_zip
from freezer.plan import BootLib, BundlePlan, Entry


def make_plan(tmp_path: Path) -> tuple[BundlePlan, bytes]:
    lib = b"\x7fELF" + bytes(range(256)) * 40
    digest = hashlib.sha256(lib).hexdigest()
    plan = BundlePlan()
    name = f"__freezer__/native/{digest}/libfake.so.1"
    plan.add(Entry(name, data=lib))
    plan.add(Entry("pkg/__init__.pyc", data=b"pyc bytes"))
    plan.add(Entry("pkg/", data=b""))
    plan.boot.append(BootLib("libfake.so.1", name, digest))
    return plan, lib


def write(tmp_path: Path, prefix: bytes) -> Path:
    plan, _ = make_plan(tmp_path)
    out = tmp_path / "out"
    out.write_bytes(prefix)
    write_zip(out, plan)
    return out


def test_zip_after_a_prefix_is_readable_and_sorted(tmp_path):
    out = write(tmp_path, b"\x7fELF-pretend-bootloader" * 100)
    with zipfile.ZipFile(out) as zf:
        assert zf.namelist() == sorted(zf.namelist())
        assert zf.read("pkg/__init__.pyc") == b"pyc bytes"
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zf.infolist())
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())


def test_boot_table_points_at_the_raw_bytes(tmp_path):
    out = write(tmp_path, b"prefix" * 1000)
    _, lib = make_plan(tmp_path)
    data = out.read_bytes()
    with zipfile.ZipFile(out) as zf:
        lines = zf.comment.decode().splitlines()
    assert lines[0] == BOOT_MAGIC
    kind, offset, size, digest, soname = lines[1].split()
    assert kind == "boot" and soname == "libfake.so.1"
    assert data[int(offset):int(offset) + int(size)] == lib
    assert hashlib.sha256(lib).hexdigest() == digest
    assert lines[-1] == "sha256 " + hashlib.sha256(data[:-65]).hexdigest()


def test_same_plan_gives_identical_bytes(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert write(tmp_path / "a", b"x").read_bytes() == write(tmp_path / "b", b"x").read_bytes()


def test_failed_build_leaves_existing_output_alone(tmp_path):
    out = tmp_path / "app"
    out.write_bytes(b"precious")

    def failing(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(FreezeError, match="No space left"):
        write_atomically(out, failing)
    assert out.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["app"]
