# Extension modules of the runtime and the DLLs they import: _decimal, _sqlite3 (sqlite3.dll),
# _ssl (libssl-3, libcrypto-3; a context on Windows' certificate store), _ctypes (libffi-8),
# _lzma, _bz2; zlib and json's speedups are built into python3X.dll.
import bz2
import ctypes
import decimal
import json
import lzma
import sqlite3
import ssl
import zlib

print(json.dumps({"a": [1, 2.5, None]}, sort_keys=True))
print(decimal.Decimal("1.1") + decimal.Decimal("2.2"), decimal.getcontext().prec)
con = sqlite3.connect(":memory:")
con.execute("create table t (x)")
con.executemany("insert into t values (?)", [(i,) for i in range(5)])
print(con.execute("select sum(x) from t").fetchone(), sqlite3.sqlite_version)
ctx = ssl.create_default_context()
print(ssl.OPENSSL_VERSION, ctx.verify_mode, ctx.check_hostname)
pid = ctypes.windll.kernel32.GetCurrentProcessId()
print(ctypes.sizeof(ctypes.c_void_p), ctypes.c_int(42).value, pid > 0)
data = b"freezer " * 100
for mod in (zlib, lzma, bz2):
    packed = mod.compress(data)
    print(mod.__name__, len(packed) < len(data), mod.decompress(packed) == data)
