"""A short fuzzing run of the bootloader's reading of its own file (tests/fuzz/boot_table.c).

The target compiles freezer/bootloader/boot.c whole and feeds read_boot_table() (the zip end
record, the central directory fields, the boot table and the bounds of every library) and
parse_boot_line() with mutated files, under AddressSanitizer and UBSan; whatever
read_boot_table() accepts is also checked against invariants the target works out on its own.
Here it is built with gcc and its own small mutator; tests/fuzz/run.sh is the long run
(libFuzzer when clang is there).

The seed corpus is made here, not committed: files laid out as freeze lays them out (a
stand-in bootloader, a zip appended to it, the boot table as its comment, sealed with the
checksum line), which read_boot_table() accepts, plus the tiny seeds in tests/fuzz/seeds/,
cut from the tail of a real frozen binary (whose offsets point outside them).

As a script it writes the seeds for run.sh:
    python tests/test_fuzz_boot.py OUT_DIR [FROZEN_BINARY]
FROZEN_BINARY adds seeds cut from that binary's tail (see real_seeds()).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

FUZZ_DIR = Path(__file__).resolve().parent / "fuzz"
TARGET_C = FUZZ_DIR / "boot_table.c"
COMMITTED_SEEDS = FUZZ_DIR / "seeds"
ITERATIONS = 20_000
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all",
            "-fno-omit-frame-pointer"]
# Leak detection stays on: the target frees the table a rejected input leaves behind.
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1:abort_on_error=0",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}
REPORT = re.compile(r"ERROR: (Address|Leak)Sanitizer|runtime error:|invariant violated|"
                    r"SUMMARY: |input is saved as")

# ------------------------------------------------------------------------------------------
# Seeds.

END_RECORD = 22
CHECKSUM_TAIL = 64 + 1  # the checksum's digits and the newline: the file's last bytes
LOCAL_HEADER = 30
ELF_MAGIC = b"\x7fELF"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# The last bytes of a frozen binary that hold its central directory, end record and boot table.
TAIL = 70 * 1024


@dataclass
class Lib:
    """A boot library: stored as it is ("boot") or as a zstd frame ("zstd")."""

    soname: str
    stored: int  # length of its bytes in the file
    size: int = 0  # length unpacked; 0 for a library stored as it is

    def data(self) -> bytes:
        magic = ZSTD_MAGIC if self.size else ELF_MAGIC
        filler = hashlib.sha256(self.soname.encode()).digest() * (self.stored // 32 + 1)
        return magic + filler[: self.stored - len(magic)]

    def line(self, offset: int) -> str:
        sha = hashlib.sha256(self.soname.encode()).hexdigest()
        if self.size:
            return f"zstd {offset} {self.stored} {self.size} {sha} {self.soname}"
        return f"boot {offset} {self.stored} {sha} {self.soname}"


def _zipinfo(name: str, deflate: bool = False) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    return info


def frozen_like(libs: list[Lib], *, front: int = 64, members: int = 2, in_front: bool = False,
                aliases: list[str] | None = None) -> bytes:
    """A file laid out as freeze writes one, small enough to fuzz fast.

    A stand-in for the bootloader (`front` bytes starting "\\x7fELF"), a zip appended to it, so
    its offsets are absolute, with `members` small modules and the libraries as stored entries
    (or, with `in_front`, the libraries inside the stand-in, outside the zip), the boot table
    as the zip comment and its checksum line filled in.  `aliases`: more table lines, naming
    the first library's bytes under other sonames (to make the table long).
    """
    out = io.BytesIO()
    out.write(ELF_MAGIC + bytes(front - len(ELF_MAGIC)))
    offsets: dict[str, int] = {}
    if in_front:
        for lib in libs:
            offsets[lib.soname] = out.tell()
            out.write(lib.data())
    with zipfile.ZipFile(out, "a") as zf:
        for i in range(members):
            zf.writestr(_zipinfo(f"__freezer__/m{i}.py", deflate=True), b"print(%d)\n" % i)
        if not in_front:
            for lib in libs:
                info = _zipinfo(f"__freezer__/native/{lib.soname}{'.zst' if lib.size else ''}")
                zf.writestr(info, lib.data())
                offsets[lib.soname] = (info.header_offset + LOCAL_HEADER
                                       + len(info.filename.encode()) + len(info.extra))
        lines = ["FREEZER2", *(lib.line(offsets[lib.soname]) for lib in libs)]
        first = libs[0]
        lines += [Lib(name, first.stored, first.size).line(offsets[first.soname])
                  for name in aliases or []]
        lines.append("sha256 " + "0" * 64)
        zf.comment = ("\n".join(lines) + "\n").encode("ascii")
    return seal(out.getvalue())


def seal(data: bytes) -> bytes:
    """The checksum line's digits: the SHA-256 of every byte of the file before them."""
    covered = len(data) - CHECKSUM_TAIL
    return data[:covered] + hashlib.sha256(data[:covered]).hexdigest().encode() + b"\n"


def end_record(data: bytes) -> int:
    """Where the zip end record whose comment runs to the end of `data` starts, or -1."""
    end = len(data) - END_RECORD + 4
    while (at := data.rfind(b"PK\5\6", 0, end)) >= 0:
        if at + END_RECORD + struct.unpack_from("<H", data, at + 20)[0] == len(data):
            return at
        end = at + 3
    return -1


def max_comment() -> bytes:
    """A boot table of exactly 65535 bytes, the longest a zip comment can be: the end record
    then sits at the very start of the bootloader's search window."""
    base = Lib("libpython3.11.so.1.0", 300, 5728384)
    # The table's other lines do not move the library, so its offset is known beforehand.
    plain = frozen_like([base], front=1024, members=1)
    # The length of an alias's line but its soname's, with its "\n".
    fixed = len(base.line(_first_offset(plain))) - len(base.soname) + 1
    rest = 65535 - (len(plain) - end_record(plain) - END_RECORD)
    lengths = []
    while rest >= 2 * fixed + 210:
        lengths.append(200)
        rest -= fixed + 200
    if rest > fixed + 200:
        lengths.append((rest - 2 * fixed) // 2)
        rest -= fixed + lengths[-1]
    lengths.append(rest - fixed)
    names = [f"a{i:05d}".ljust(n, "x") for i, n in enumerate(lengths)]
    data = frozen_like([base], front=1024, members=1, aliases=names)
    assert len(data) - end_record(data) - END_RECORD == 65535
    return data


def _first_offset(data: bytes) -> int:
    comment = data[end_record(data) + END_RECORD:].decode()
    return int(comment.splitlines()[1].split()[1])


def patched(data: bytes, at: int, fmt: str, *values: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, at, *values)
    return bytes(out)


def synthetic_seeds() -> dict[str, bytes]:
    """Seeds read_boot_table() accepts ("ok-" names), each a different shape."""
    gcc = Lib("libgcc_s.so.1", 120, 125312)
    python = Lib("libpython3.11.so.1.0", 400, 5728384)
    one = frozen_like([Lib("libpython3.12.so.1.0", 300)])
    return {
        "ok-boot-one": one,
        "ok-zstd-two": frozen_like([gcc, python]),
        "ok-mixed": frozen_like([Lib("libz.so.1", 64), Lib("libffi.so.8", 48, 70000), python],
                                members=6),
        "ok-in-front": frozen_like([Lib("libz.so.1", 40), python], in_front=True),
        # No zip members: the end record alone, right after the last library's bytes, so
        # that library ends exactly where the end record starts.
        "ok-no-members": frozen_like([Lib("libssl.so.3", 4), Lib("x" * 200, 36, 9)],
                                     in_front=True, members=0),
        # Bigger than the search window, so the bootloader reads a tail, not the whole file.
        "ok-large": frozen_like([gcc, python], front=70_000, in_front=True),
        "ok-max-comment": max_comment(),
        # zip64 markers in the end record: the central directory is not checked.
        "ok-zip64-marker": patched(one, end_record(one) + 8, "<HH", 0xFFFF, 0xFFFF),
    }


def real_seeds(binary: Path) -> dict[str, bytes]:
    """Seeds cut from a real frozen binary's tail; its libraries' offsets point outside them.

    "real-tail": the last TAIL bytes (central directory, end record, boot table) as they are;
    "real-tail-cd": the same with the directory offset made relative to the tail, so it gets
    past the directory check; "real-end": the end record and boot table alone; "real-cd": the
    last three directory entries and the end record, made to agree with each other.
    """
    data = binary.read_bytes()
    at = end_record(data)
    if at < 0:
        raise ValueError(f"{binary}: no zip end record")
    cd_size, cd_off = struct.unpack_from("<II", data, at + 12)
    tail = data[-TAIL:]
    tail_at = at - (len(data) - len(tail))
    seeds = {"real-tail": tail, "real-end": data[at:]}
    if cd_size <= tail_at:
        seeds["real-tail-cd"] = patched(tail, tail_at + 16, "<I", tail_at - cd_size)
    entries, p = [], cd_off
    while p < at and data[p:p + 4] == b"PK\1\2":
        n, m, k = struct.unpack_from("<HHH", data, p + 28)
        entries.append(data[p:p + 46 + n + m + k])
        p += 46 + n + m + k
    last = b"".join(entries[-3:])
    end = patched(data[at:], 8, "<HHII", len(entries[-3:]), len(entries[-3:]), len(last), 0)
    seeds["real-cd"] = last + end
    return seeds


def write_seeds(out: Path, binary: Path | None = None) -> list[Path]:
    """Write the synthetic seeds, the committed ones and (with `binary`) its tail's into out."""
    out.mkdir(parents=True, exist_ok=True)
    seeds = synthetic_seeds()
    if binary is not None:
        seeds.update(real_seeds(binary))
    written = []
    for name, data in seeds.items():
        (out / name).write_bytes(data)
        written.append(out / name)
    for committed in sorted(COMMITTED_SEEDS.iterdir()) if COMMITTED_SEEDS.is_dir() else []:
        if committed.is_file():
            shutil.copyfile(committed, out / committed.name)
            written.append(out / committed.name)
    return written


# ------------------------------------------------------------------------------------------
# Building and running the target.


def build_driver(out: Path) -> Path:
    """The standalone driver under ASan and UBSan; skips only where gcc cannot do that."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed")
    probe = out / "probe.c"
    probe.write_text("int main(void) { return 0; }\n")
    done = subprocess.run([gcc, *SANITIZE, str(probe), "-o", str(out / "probe")],
                          capture_output=True, text=True)
    if done.returncode != 0 or subprocess.run([str(out / "probe")]).returncode != 0:
        pytest.skip(f"gcc here cannot build with AddressSanitizer/UBSan (libasan, libubsan): "
                    f"{done.stderr.strip()[:300]}")
    libzstd = subprocess.run([gcc, "-print-file-name=libzstd.a"], capture_output=True,
                             text=True).stdout.strip()
    if not os.path.isabs(libzstd):
        pytest.fail("no libzstd.a (libzstd-dev), which the bootloader links")
    driver = out / "boot_table_fuzz"
    # boot.c needs no Python.h: 3.11's layout from pylayout.h (the table reading is the same).
    cmd = [gcc, "-O1", "-g", *SANITIZE, "-DSTANDALONE_DRIVER", "-DFREEZER_PY_MINOR=11",
           str(TARGET_C), "-o", str(driver), libzstd, "-ldl", "-pthread"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stderr}"
    return driver


def run_driver(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **SANITIZER_ENV}, errors="replace")


def describe(done: subprocess.CompletedProcess[str]) -> str:
    return (f"status {done.returncode}\nstdout:\n{done.stdout[-3000:]}\n"
            f"stderr:\n{done.stderr[-6000:]}")


def test_fuzz_boot_table(tmp_path: Path) -> None:
    """20,000 mutations of the seeds: no sanitizer report, no broken invariant."""
    driver = build_driver(tmp_path)
    seeds = write_seeds(tmp_path / "seeds")

    # Replayed as they are, the synthetic seeds must be accepted (or the mutations would
    # only ever exercise the first rejections), the ones cut from a real tail rejected.
    done = run_driver([str(driver), *map(str, seeds)], timeout=60)
    assert done.returncode == 0 and not REPORT.search(done.stderr), describe(done)
    for seed in seeds:
        outcome = "accepted" if seed.name.startswith("ok-") else "rejected"
        assert f"{seed}: {outcome}" in done.stdout, describe(done)

    crashes = tmp_path / "crashes"
    crashes.mkdir()
    start = time.monotonic()
    done = run_driver([str(driver), "--iterations", str(ITERATIONS), "--seed", "1",
                       "--crash-dir", str(crashes), str(tmp_path / "seeds")], timeout=300)
    took = time.monotonic() - start
    assert done.returncode == 0 and not REPORT.search(done.stderr), describe(done)
    assert not list(crashes.iterdir()), describe(done)
    summary = re.search(r"(\d+) iterations in .* (\d+) accepted", done.stdout)
    assert summary and int(summary.group(1)) == ITERATIONS, describe(done)
    # Some mutants must still be accepted, so the invariants are checked on more than the seeds.
    assert int(summary.group(2)) > 0, describe(done)
    print(f"{ITERATIONS} iterations in {took:.1f} s\n{done.stdout}")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: test_fuzz_boot.py OUT_DIR [FROZEN_BINARY]")
    for path in write_seeds(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) == 3 else None):
        print(path)
