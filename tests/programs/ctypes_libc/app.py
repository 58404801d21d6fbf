"""ctypes: the _ctypes extension, libffi (calls and callbacks) and libc through dlopen."""

from __future__ import annotations

import ctypes
import ctypes.util


class Point(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_double), ("tag", ctypes.c_char * 4)]


def main() -> None:
    print("sizes", ctypes.sizeof(ctypes.c_int), ctypes.sizeof(ctypes.c_void_p),
          ctypes.sizeof(ctypes.c_longdouble), ctypes.sizeof(Point))
    number = ctypes.c_int(41)
    number.value += 1
    print("c_int", number.value, ctypes.c_uint8(300).value)
    # glibc's own libraries by short name, as on any machine with ldconfig (not the sandbox).
    print("find_library", [ctypes.util.find_library(name) for name in
                           ("c", "m", "pthread", "dl", "rt", "util", "resolv", "anl", "mvec")])
    libc = ctypes.CDLL(None)
    print("strlen", libc.strlen("héllo ✓".encode()))
    named = ctypes.CDLL("libc.so.6")
    print("abs", named.abs(-17))
    libm = ctypes.CDLL("libm.so.6")
    libm.cbrt.restype = ctypes.c_double
    libm.cbrt.argtypes = [ctypes.c_double]
    print("cbrt", libm.cbrt(27.0))
    buf = ctypes.create_string_buffer(64)
    libc.snprintf(buf, 64, b"%d|%s|%.3f", 7, b"xyz", ctypes.c_double(3.14159))
    print("snprintf", buf.value)
    compare = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int),
                               ctypes.POINTER(ctypes.c_int))
    values = (ctypes.c_int * 7)(5, -3, 9, 1, 7, 2, 0)
    libc.qsort(values, len(values), ctypes.sizeof(ctypes.c_int),
               compare(lambda a, b: a[0] - b[0]))
    print("qsort via callback", list(values))
    point = Point(3, 2.5, b"ab")
    print("struct", point.x, point.y, point.tag, bytes(point)[:4])
    raw = ctypes.string_at(ctypes.addressof(point), 4)
    print("string_at", raw)
    array = (ctypes.c_double * 3)(1.0, 2.0, 3.0)
    pointer = ctypes.cast(array, ctypes.POINTER(ctypes.c_double))
    print("pointer", pointer[2], ctypes.sizeof(array))


main()
