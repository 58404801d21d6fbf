"""A cross-built program's native half: OpenSSL, SQLite, libffi (ctypes into libc), the
compression modules and hashlib, each of which needs a shared library of the target's."""

import bz2
import ctypes
import hashlib
import lzma
import platform
import sqlite3
import ssl
import sys
import zlib

context = ssl.create_default_context()
print("ssl", ssl.OPENSSL_VERSION.split()[0], context.verify_mode == ssl.CERT_REQUIRED)
db = sqlite3.connect(":memory:")
db.execute("create table t (x)")
db.executemany("insert into t values (?)", [(i,) for i in range(10)])
print("sqlite", db.execute("select sum(x) from t").fetchone()[0])
libc = ctypes.CDLL(None)
print("ctypes", libc.abs(-5), ctypes.sizeof(ctypes.c_void_p))
print("hashes", hashlib.sha256(b"x").hexdigest()[:16], hashlib.md5(b"x").hexdigest()[:8])
print("zlib", zlib.crc32(b"abc"), lzma.decompress(lzma.compress(b"xz")),
      bz2.decompress(bz2.compress(b"bz")))
print("machine", platform.machine(), sys.byteorder, sys.maxsize > 2**32)
