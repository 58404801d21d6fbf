"""Exercises _freezer_boot.unpack(): decompress libpython's zstd entry of this very binary
under another name, as the runtime would do for a compressed extension module."""

import sys

# The bootloader's builtin module, already imported by the runtime (an import statement would
# send the build looking for it).
_freezer_boot = sys.modules["_freezer_boot"]

with open(sys.executable, "rb") as f:
    f.seek(0, 2)
    size = f.tell()
    f.seek(max(0, size - 65557))
    tail = f.read()
table = tail[tail.rindex(b"FREEZER2\n"):].decode("ascii").splitlines()
line = [fields for fields in (t.split(" ") for t in table[1:]) if fields[0] == "zstd"][-1]
offset, csize, usize, sha = int(line[1]), int(line[2]), int(line[3]), line[4]

path = _freezer_boot.unpack(offset, csize, usize, sha, "libunpacked.so")
with open(path, "rb") as f:
    data = f.read()
print("where", "memfd" if path.startswith("/proc/") else "cache")
print("size ok", len(data) == usize, "elf", data[:4] == b"\x7fELF")
print("again same", _freezer_boot.unpack(offset, csize, usize, sha, "libunpacked.so") == path
      or path.startswith("/proc/"))
for bad in [(offset + 1, csize, usize, sha, "x.so"), (offset, csize, usize, sha, "../x.so"),
            (offset, size, usize, sha, "x.so"), (offset, csize, usize, "0" * 63, "x.so")]:
    try:
        _freezer_boot.unpack(*bad)
    except ValueError:
        print("refused")
