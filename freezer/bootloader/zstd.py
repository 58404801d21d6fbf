"""zstd compression of the boot libraries, through the system's libzstd (ctypes).

Why zstd: libpython is most of a frozen hello world (~6 MB stripped) and compresses to about a
quarter at level 19, while its decompressor (linked statically into the bootloader) unpacks it
at over 1 GB/s, so the one first start that has to unpack it stays cheap. Why ctypes: the
standard library has no zstd before Python 3.14, and the system's libzstd.so.1 (Debian:
libzstd1, which apt itself depends on, so it is everywhere; libzstd-dev is not needed) is
enough; the README ("Dependencies") says why not a wheel.

Compressed copies are cached by the SHA-256 of their content, the level and the libzstd
version, so a warm build compresses nothing (level 19 costs ~2 s for libpython). The copy's
own SHA-256 is recorded beside it and checked on every use (freezer/build_cache.py): the
entry goes into the binary as it is, and nothing else would notice a planted one.
"""

from __future__ import annotations

import ctypes
import functools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from freezer import build_cache
from freezer.errors import FreezeError

# High ratio for a one-off cost per libpython (cached); 20+ ("ultra") gains under 0.1 %.
LEVEL = 19
# ZSTD_cParameter values from zstd.h (stable API).
_C_COMPRESSION_LEVEL = 100
_C_CHECKSUM_FLAG = 201
MAGIC = b"\x28\xb5\x2f\xfd"
# Data above this size is cut into FRAMES independent frames, compressed at the same time (ctypes
# lets go of the GIL): level 19 on libpython takes ~2.3 s as one frame, ~1.4 s as two on two
# cores, for 0.5 % more bytes. Fixed numbers, not the CPU count, so builds stay reproducible.
SPLIT_ABOVE = 1 << 20
FRAMES = 2


@functools.lru_cache(maxsize=1)
def _lib() -> ctypes.CDLL:
    """Load libzstd once; the error names the package, as the bootloader's does."""
    try:
        lib = ctypes.CDLL("libzstd.so.1")
    except OSError:
        raise FreezeError("cannot load libzstd.so.1, zstd's shared library, to compress "
                          "native files: install it (Debian and Ubuntu: apt-get install "
                          "libzstd1)") from None
    lib.ZSTD_versionNumber.restype = ctypes.c_uint
    lib.ZSTD_compressBound.restype = ctypes.c_size_t
    lib.ZSTD_compressBound.argtypes = [ctypes.c_size_t]
    lib.ZSTD_createCCtx.restype = ctypes.c_void_p
    lib.ZSTD_freeCCtx.argtypes = [ctypes.c_void_p]
    lib.ZSTD_CCtx_setParameter.restype = ctypes.c_size_t
    lib.ZSTD_CCtx_setParameter.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.ZSTD_compress2.restype = ctypes.c_size_t
    lib.ZSTD_compress2.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                   ctypes.c_char_p, ctypes.c_size_t]
    lib.ZSTD_decompress.restype = ctypes.c_size_t
    lib.ZSTD_decompress.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p,
                                    ctypes.c_size_t]
    lib.ZSTD_isError.restype = ctypes.c_uint
    lib.ZSTD_isError.argtypes = [ctypes.c_size_t]
    lib.ZSTD_getErrorName.restype = ctypes.c_char_p
    lib.ZSTD_getErrorName.argtypes = [ctypes.c_size_t]
    return lib


def version() -> int:
    """libzstd's version number (e.g. 10504): its output may differ between versions."""
    return int(_lib().ZSTD_versionNumber())


def compress(data: bytes, level: int = LEVEL) -> bytes:
    """zstd frames (FRAMES of them above SPLIT_ABOVE bytes, else one), one after the other.

    Concatenated frames are a valid zstd stream that the bootloader decodes in one pass. Each
    carries its content size and a content checksum: the checksum makes a damaged payload fail
    as "damaged executable" even where the library is not hashed (the memfd path).
    """
    if len(data) <= SPLIT_ABOVE:
        return _compress_frame(data, level)
    step = -(-len(data) // FRAMES)
    chunks = [data[i:i + step] for i in range(0, len(data), step)]
    with ThreadPoolExecutor(len(chunks)) as pool:
        return b"".join(pool.map(lambda chunk: _compress_frame(chunk, level), chunks))


def _compress_frame(data: bytes, level: int) -> bytes:
    lib = _lib()
    cctx = lib.ZSTD_createCCtx()
    if not cctx:
        raise FreezeError("zstd: out of memory")
    try:
        for param, value in ((_C_COMPRESSION_LEVEL, level), (_C_CHECKSUM_FLAG, 1)):
            _check(lib, lib.ZSTD_CCtx_setParameter(cctx, param, value))
        out = ctypes.create_string_buffer(lib.ZSTD_compressBound(len(data)))
        n = _check(lib, lib.ZSTD_compress2(cctx, out, len(out), data, len(data)))
        return out.raw[:n]
    finally:
        lib.ZSTD_freeCCtx(cctx)


def decompress(frame: bytes, size: int) -> bytes:
    """The inverse of compress(), for tools and tests that read a payload (`size` is known from
    the boot table)."""
    lib = _lib()
    out = ctypes.create_string_buffer(size)
    n = _check(lib, lib.ZSTD_decompress(out, size, frame, len(frame)))
    if n != size:
        raise FreezeError(f"zstd: {n} bytes, expected {size}")
    return out.raw


def _check(lib: ctypes.CDLL, code: int) -> int:
    if lib.ZSTD_isError(code):
        raise FreezeError(f"zstd: {lib.ZSTD_getErrorName(code).decode()}")
    return code


def compressed_copy(path: str, sha256: str, cache_root: Path) -> str:
    """Return a file holding `path` compressed, from the build cache when it is there.

    `sha256` is the content's hash (the caller has it already), so the key needs no reading.
    A cached copy whose bytes no longer hash to its record is compressed again and replaced.
    """
    out_dir = build_cache.build_dir(cache_root, "zstd", f"{version()}-{LEVEL}-{FRAMES}")
    out = out_dir / f"{sha256}.zst"
    if build_cache.check(out):
        return str(out)
    with open(path, "rb") as f:
        packed = compress(f.read())
    try:
        build_cache.save(out, packed)
    except OSError as e:
        raise FreezeError(f"{out_dir}: cannot write to the cache ({e.strerror or e})") from None
    return str(out)
