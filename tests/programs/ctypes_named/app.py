"""Shared libraries loaded through ctypes by name, which python finds on the machine.

libzstd (which every machine that builds freezer has) is named three ways: a short name
for ctypes.util.find_library, the soname it gives, and cdll.LoadLibrary of the same.
A name no machine has fails alike.
"""

import ctypes
import ctypes.util

name = ctypes.util.find_library("zstd")
print("find_library", name)
lib = ctypes.CDLL(name)
lib.ZSTD_versionNumber.restype = ctypes.c_uint
print("version plausible", lib.ZSTD_versionNumber() > 10000, lib._name)
again = ctypes.cdll.LoadLibrary("libzstd.so.1")
again.ZSTD_isError.restype = ctypes.c_uint
print("isError(0)", again.ZSTD_isError(0))
print("missing", ctypes.util.find_library("freezer_no_such_library_xyz"))
try:
    ctypes.CDLL("libfreezer_no_such_library_xyz.so.3")
except OSError as e:
    print("OSError", type(e).__name__)
