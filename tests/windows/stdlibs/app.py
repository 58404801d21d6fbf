import bz2, ctypes, decimal, json, lzma, sqlite3, ssl, zlib
print(json.dumps({"a": [1, 2.5, None]}, sort_keys=True))
print(decimal.Decimal("1.1") + decimal.Decimal("2.2"), decimal.getcontext().prec)
con = sqlite3.connect(":memory:")
con.execute("create table t (x)")
con.executemany("insert into t values (?)", [(i,) for i in range(5)])
print(con.execute("select sum(x) from t").fetchone(), sqlite3.sqlite_version)
ctx = ssl.create_default_context()
print(ssl.OPENSSL_VERSION, ctx.verify_mode, ctx.check_hostname)
print(ctypes.sizeof(ctypes.c_void_p), ctypes.c_int(42).value, bool(ctypes.windll.kernel32.GetCurrentProcessId()))
data = b"freezer " * 100
for mod in (zlib, lzma, bz2):
    print(mod.__name__, len(mod.compress(data)) > 0, mod.decompress(mod.compress(data)) == data)
