/*
 * freezer bootloader: the native program at the front of every frozen executable.
 *
 * The file is [this program][zip payload][zip end record whose comment is the boot table].
 * We read the boot table, load libpython (and anything it needs) out of our own file,
 * decompressing it once into the per-user cache when it is stored compressed, start an
 * isolated interpreter whose only import path is our own file (zipimport does
 * the rest), and hand over to `_freezer_runtime.run()`.  See docs/design.md.
 *
 * This program is never linked against libpython: the payload decides which libpython is
 * used, so every CPython function is looked up (dlsym, GetProcAddress) after the library is
 * loaded.  It is compiled per target CPython only because PyConfig's layout differs per
 * version: -DFREEZER_PY_MINOR=N picks that version's layout from pylayout.h (pyabi.h declares
 * the API itself, so no Python.h is needed).
 *
 * This file is the part every platform shares: the payload and its boot table, SHA-256, the
 * zstd decoding, CPython's start and the exit status, and the `_freezer_boot` services that
 * only read our own file.  How libraries are loaded and cached, how our own file is found
 * and read, and the program's entry point are the platform layer's, one file each, compiled
 * into this one (it is included at the end, so the fuzz target still builds one file):
 * boot_posix.c (Linux; dlopen, memfd, the cache under ~/.cache) and boot_win32.c (Windows;
 * LoadLibraryExW, the cache under %LOCALAPPDATA%, wmain).  The functions each must define
 * are declared below ("The platform layer").
 */
#ifndef _WIN32
#define _GNU_SOURCE 1 /* secure_getenv, O_CLOEXEC & co, before any system header */
#endif
#include "pyabi.h"

#include <errno.h>
/* Linked statically (libzstd.a), so the bootloader needs nothing on the target; that is also
 * what makes the "static linking only" API (a stable output buffer) safe to use. */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#define EOCD_SIZE 22                  /* zip end-of-central-directory record, sans comment */
#define EOCD_SEARCH (65535 + EOCD_SIZE) /* the comment length is 16 bits */
#define MAX_SONAME 200

static const char *g_self = "freezer"; /* our path, for error messages (UTF-8) */
/* The zip's central directory (from its end record) and the boot table's `frozen` entry. */
static uint64_t g_cd_off, g_cd_size, g_cd_entries;
static int g_zip64;
static uint64_t g_frozen_off, g_frozen_size;
static int g_self_fd = -1;            /* our own file, open for the life of the process */


/* ---------------------------------------------------------------------------------------- */
/* The platform layer (boot_posix.c, boot_win32.c): what the shared part below calls.        */
/* `fd` is a C runtime descriptor of our own file on both.                                   */

struct lib;
/* Reads exactly [off, off+len) of `fd`; -1 if the file is shorter (or cannot be read). */
static int pread_all(int fd, void *buf, size_t len, uint64_t off);
/* The size of the open file `fd`; -1 if it cannot be had. */
static int file_size(int fd, uint64_t *size);
/* The address of `name` in the loaded library `lib` (libpython), or NULL. */
static void *lib_symbol(void *lib, const char *name);
/* The pre-configuration beyond the isolated preset (encoding and locale rules). */
static void preconfigure(PyPreConfig *pre);
/* argv, executable and home of the interpreter's configuration (our own path). */
static void configure_paths(PyConfig *c);
/* Before start-up: what the platform hooks into CPython (the open_code hook). */
static void before_start(int fd);
/* The status the process ends with after a KeyboardInterrupt ended the program. */
static int interrupted_exit(void);
/* _freezer_boot's services that load or cache: dlopen(path), unpack(...), map(...) and
 * cache_root(). */
static PyObject *boot_dlopen(PyObject *module, PyObject *arg);
static PyObject *boot_unpack(PyObject *module, PyObject *args);
static PyObject *boot_map(PyObject *module, PyObject *args);
static PyObject *boot_cache_root(PyObject *module, PyObject *unused);

/* ---------------------------------------------------------------------------------------- */
/* Errors: one line on stderr and status 126 (the shell's "found but cannot execute").      */
/* The fuzz target (tests/fuzz/) builds this file with FREEZER_FUZZ, where an error returns  */
/* to it instead of ending the process.                                                      */

#ifdef FREEZER_FUZZ
#include <setjmp.h>
extern jmp_buf freezer_fuzz_exit;
#endif

__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
#ifdef FREEZER_FUZZ
    longjmp(freezer_fuzz_exit, 1);
#else
    fprintf(stderr, "freezer: %s: %s\n", g_self, msg);
    exit(126);
#endif
}

/* The executable itself is wrong (truncated, altered, not built by freezer). */
#define damaged(fmt, ...) fail("damaged executable (" fmt ")", ##__VA_ARGS__)

/* ---------------------------------------------------------------------------------------- */
/* Reading our own file.                                                                    */

struct lib {
    uint64_t offset; /* of the entry's bytes in our file */
    uint64_t csize;  /* their length when zstd-compressed; 0 when stored as they are */
    uint64_t size;   /* length of the library itself */
    char sha[65];
    char soname[MAX_SONAME + 1];
};

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Strict decimal: 1-19 digits, so it cannot overflow 64 bits. */
static const char *parse_u64(const char *p, uint64_t *out)
{
    uint64_t v = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (digits == 19)
            return NULL;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = v;
    return digits ? p : NULL;
}

/* One line, without its '\n': "boot <offset> <size> <sha256hex> <soname>" for a library
 * stored as it is, "zstd <offset> <csize> <size> <sha256hex> <soname>" for one stored as a
 * zstd frame of csize bytes. */
static int parse_boot_line(const char *p, struct lib *l)
{
    int compressed = strncmp(p, "zstd ", 5) == 0;
    if (!compressed && strncmp(p, "boot ", 5) != 0)
        return -1;
    if (!(p = parse_u64(p + 5, &l->offset)) || *p++ != ' ')
        return -1;
    l->csize = 0;
    if (compressed && (!(p = parse_u64(p, &l->csize)) || *p++ != ' ' || l->csize == 0))
        return -1;
    if (!(p = parse_u64(p, &l->size)) || *p++ != ' ')
        return -1;
    if (strspn(p, "0123456789abcdef") < 64 || p[64] != ' ')
        return -1;
    memcpy(l->sha, p, 64);
    l->sha[64] = '\0';
    p += 65;
    /* The soname becomes a file name in the cache: keep it one plain path component. */
    size_t n = strlen(p);
    if (n == 0 || n > MAX_SONAME || strcmp(p, ".") == 0 || strcmp(p, "..") == 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (p[i] <= ' ' || p[i] >= 127 || p[i] == '/')
            return -1;
    memcpy(l->soname, p, n + 1);
    return 0;
}

/* Finds the zip end record, parses and checks the boot table.  Never trusts a number from
 * the file before checking it against the file's real size.  *covered and sha: the span the
 * table's checksum line covers (from the start of the file), and that checksum. */
static struct lib *read_boot_table(int fd, size_t *count, uint64_t *covered, char sha[65])
{
    static unsigned char tail[EOCD_SEARCH + 1];
    uint64_t fsize;
    if (file_size(fd, &fsize) < 0)
        damaged("cannot stat: %s", strerror(errno));
    size_t tlen = fsize < EOCD_SEARCH ? (size_t)fsize : EOCD_SEARCH;
    if (tlen < EOCD_SIZE || pread_all(fd, tail, tlen, fsize - tlen) < 0)
        damaged("no zip end record");

    /* Scan backwards; the real record is the one whose comment runs exactly to EOF. */
    size_t at = tlen - EOCD_SIZE + 1, clen = 0;
    while (at-- > 0) {
        const unsigned char *r = tail + at;
        if (r[0] == 'P' && r[1] == 'K' && r[2] == 5 && r[3] == 6) {
            clen = (size_t)r[20] | (size_t)r[21] << 8;
            if (at + EOCD_SIZE + clen == tlen)
                break;
        }
    }
    if (at == (size_t)-1)
        damaged("no zip end record");
    uint64_t eocd_pos = fsize - tlen + at;
    /* zipimport will trust the central directory fields; check them here so that a damaged
     * record gives our one-line error rather than a fatal error inside Python.  Offsets are
     * absolute (docs/design.md), so the directory ends where this record starts. */
    const unsigned char *r = tail + at;
    uint32_t cd_size = le32(r + 12), cd_off = le32(r + 16), entries = r[10] | r[11] << 8;
    int zip64 = cd_size == 0xffffffffu || cd_off == 0xffffffffu || entries == 0xffff;
    g_cd_off = cd_off, g_cd_size = cd_size, g_cd_entries = entries, g_zip64 = zip64;
    unsigned char sig[4];
    if (!zip64 && entries > 0 &&
        (cd_size > eocd_pos || cd_off != eocd_pos - cd_size ||
         pread_all(fd, sig, 4, eocd_pos - cd_size) < 0 || memcmp(sig, "PK\1\2", 4) != 0))
        damaged("bad zip central directory");
    char *text = (char *)tail + at + EOCD_SIZE;
    text[clen] = '\0';

    static const char magic[] = "FREEZER2\n";
    if (clen < sizeof magic - 1 || memcmp(text, magic, sizeof magic - 1) != 0)
        damaged("no boot table");
    if (memchr(text, '\0', clen))
        damaged("boot table: NUL byte");

    size_t n = 0;
    for (size_t i = sizeof magic - 1; i < clen; i++)
        n += text[i] == '\n';
    struct lib *libs = calloc(n ? n : 1, sizeof *libs);
    if (!libs)
        fail("out of memory");

    char *p = text + sizeof magic - 1, *end = text + clen;
    size_t i = 0;
    sha[0] = '\0';
    for (; p < end; i++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            damaged("boot table: unterminated line");
        *nl = '\0';
        if (nl + 1 == end && strncmp(p, "sha256 ", 7) == 0) {
            /* The last line: the checksum of every byte of the file before its digits. */
            if (nl - p != 7 + 64 || strspn(p + 7, "0123456789abcdef") != 64)
                damaged("boot table: bad checksum line");
            memcpy(sha, p + 7, 65);
            *covered = eocd_pos + EOCD_SIZE + (uint64_t)(p + 7 - text);
            break;
        }
        if (strncmp(p, "frozen ", 7) == 0) {
            /* The modules CPython's start-up and the runtime import: see install_frozen. */
            const char *q = parse_u64(p + 7, &g_frozen_off);
            if (g_frozen_size || !q || *q++ != ' ' || !(q = parse_u64(q, &g_frozen_size)) ||
                *q || g_frozen_size < 12 || g_frozen_size > eocd_pos ||
                g_frozen_off > eocd_pos - g_frozen_size)
                damaged("boot table: bad frozen line");
            p = nl + 1;
            i--; /* not a library */
            continue;
        }
        if (parse_boot_line(p, &libs[i]) < 0)
            damaged("boot table: bad line %zu", i + 2);
        for (size_t k = 0; k < i; k++)
            if (strcmp(libs[k].soname, libs[i].soname) == 0)
                damaged("boot table: %s twice", libs[i].soname);
        p = nl + 1;
    }
    if (!sha[0])
        damaged("boot table: no checksum");
    if (i == 0)
        damaged("boot table: no libraries");

    for (size_t k = 0; k < i; k++) {
        struct lib *l = &libs[k];
        uint64_t stored = l->csize ? l->csize : l->size;
        unsigned char magic4[4];
        /* Checked before anything is loaded, so a truncated or overwritten file fails here
         * with one line instead of half-way through loading. */
        static const unsigned char elf[4] = {0x7f, 'E', 'L', 'F'}, zst[4] = {0x28, 0xb5, 0x2f, 0xfd};
        if (stored > eocd_pos || l->offset > eocd_pos - stored)
            damaged("%s: out of bounds", l->soname);
        if (stored < sizeof magic4 || pread_all(fd, magic4, sizeof magic4, l->offset) < 0)
            damaged("%s: out of bounds", l->soname);
        if (memcmp(magic4, l->csize ? zst : elf, 4) != 0)
            damaged("%s: not %s", l->soname, l->csize ? "a zstd frame" : "an ELF file");
    }
    *count = i;
    return libs;
}

/* ---------------------------------------------------------------------------------------- */
/* SHA-256 (FIPS 180-4): verifies a library before it enters the shared cache.  It runs on   */
/* every first start (libpython is 4-7 MB), so on x86-64 CPUs with the SHA extensions it     */
/* uses them (some 2 GB/s against about 0.1 GB/s for the portable code below).               */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) ((x) >> (n) | (x) << (32 - (n)))

/* Portable code: `n` 64-byte blocks. */
static void sha256_blocks_c(uint32_t h[8], const unsigned char *b, size_t n)
{
    for (; n > 0; n--, b += 64) {
        uint32_t w[64], s[8];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
                   (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
        for (int i = 16; i < 64; i++)
            w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ w[i - 15] >> 3) +
                   w[i - 7] + (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ w[i - 2] >> 10);
        memcpy(s, h, sizeof s);
        for (int i = 0; i < 64; i++) { /* s = a b c d e f g h */
            uint32_t a = s[0], e = s[4];
            uint32_t t1 = s[7] + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) +
                          ((e & s[5]) ^ (~e & s[6])) + K256[i] + w[i];
            uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) +
                          ((a & s[1]) ^ (a & s[2]) ^ (s[1] & s[2]));
            memmove(s + 1, s, 7 * sizeof *s);
            s[4] += t1;
            s[0] = t1 + t2;
        }
        for (int i = 0; i < 8; i++)
            h[i] += s[i];
    }
}

#if defined(__x86_64__)
/* The SHA extensions keep the state as two vectors, ABEF and CDGH (lane 3 first), and each
 * sha256rnds2 does two rounds, taking W+K for them from the low half of its third operand.
 * The schedule is built four words at a time: msg1 adds sigma0 of W[t-15..], the add brings
 * in W[t-7..] (made with alignr from the two previous groups), and msg2 adds sigma1. */
__attribute__((target("sha,sse4.1,ssse3"))) static void
sha256_blocks_ni(uint32_t h[8], const unsigned char *b, size_t n)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i dcba = _mm_loadu_si128((const __m128i *)h);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)(h + 4));
    __m128i cdab = _mm_shuffle_epi32(dcba, 0xb1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);
    __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xf0);
    for (; n > 0; n--, b += 64) {
        __m128i abef0 = abef, cdgh0 = cdgh, w[4];
        for (int g = 0; g < 16; g++) { /* group g: rounds 4g .. 4g+3 */
            __m128i *cur = &w[g & 3];
            if (g < 4) {
                *cur = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b + 16 * g)), bswap);
            } else {
                const __m128i prev = w[(g + 3) & 3], prev2 = w[(g + 2) & 3];
                *cur = _mm_sha256msg1_epu32(*cur, w[(g + 1) & 3]);
                *cur = _mm_add_epi32(*cur, _mm_alignr_epi8(prev, prev2, 4));
                *cur = _mm_sha256msg2_epu32(*cur, prev);
            }
            __m128i wk = _mm_add_epi32(*cur, _mm_loadu_si128((const __m128i *)(K256 + 4 * g)));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0e));
        }
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }
    __m128i feba = _mm_shuffle_epi32(abef, 0x1b);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1);
    _mm_storeu_si128((__m128i *)h, _mm_blend_epi16(feba, dchg, 0xf0));
    _mm_storeu_si128((__m128i *)(h + 4), _mm_alignr_epi8(dchg, feba, 8));
}

static int have_sha_ni(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
        return 0;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
}
#endif

static void sha256_blocks(uint32_t h[8], const unsigned char *b, size_t n)
{
#if defined(__x86_64__)
    static int ni = -1;
    if (ni < 0)
        ni = have_sha_ni();
    if (ni) {
        sha256_blocks_ni(h, b, n);
        return;
    }
#endif
    sha256_blocks_c(h, b, n);
}

static const uint32_t SHA256_INIT[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

/* Finishes a hash whose state `h` covers the first `done` bytes of p (a multiple of 64). */
static void sha256_finish(uint32_t h[8], const unsigned char *p, uint64_t done, uint64_t size,
                          char hex[65])
{
    uint64_t full = size / 64 * 64;
    sha256_blocks(h, p + done, (size_t)((full - done) / 64));
    /* The tail: the rest, 0x80, zeros, and the 64-bit big-endian bit count. */
    unsigned char last[128] = {0};
    size_t rest = (size_t)(size % 64), total = rest + 9 <= 64 ? 64 : 128;
    memcpy(last, p + full, rest);
    last[rest] = 0x80;
    for (int i = 0; i < 8; i++)
        last[total - 1 - i] = (unsigned char)(size * 8 >> (8 * i));
    sha256_blocks(h, last, total / 64);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned)(h[i / 4] >> (24 - 8 * (i % 4))) & 0xffu);
}

/* Hashes `size` bytes at `p` into 64 lowercase hex digits. */
static void sha256_mem(const unsigned char *p, uint64_t size, char hex[65])
{
    uint32_t h[8];
    memcpy(h, SHA256_INIT, sizeof h);
    sha256_finish(h, p, 0, size, hex);
}


/* ---------------------------------------------------------------------------------------- */
/* zstd: a library or store stream is one or more frames, decoded into a buffer of its size. */

/* Decodes the `l->csize` bytes at `src` (the frames of `l`) into `dst`, `l->size` bytes,
 * calling `progress(ctx, bytes out so far)` as output comes (a hasher follows it), if given.
 * Bad data is a damaged executable: the frame carries a checksum of its content. */
static void zstd_decode(const struct lib *l, const unsigned char *src, unsigned char *dst,
                        void (*progress)(void *ctx, uint64_t done), void *ctx)
{
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if (!dctx)
        fail("out of memory for %s (%llu bytes)", l->soname, (unsigned long long)l->size);
    /* The whole output buffer stays put, so zstd decodes straight into it (no window copy). */
    ZSTD_DCtx_setParameter(dctx, ZSTD_d_stableOutBuffer, 1);
    /* The build may cut a large library into several frames, one after the other: decoded
     * as one stream, each frame's end returning 0, until all the input is used. */
    ZSTD_outBuffer out = {dst, l->size, 0};
    ZSTD_inBuffer in = {src, 0, 0};
    for (;;) {
        /* Input in slices, so that output comes out (and the hasher runs) as we go. */
        if (in.size == in.pos)
            in.size = in.size + (64u << 10) < l->csize ? in.size + (64u << 10) : l->csize;
        size_t in_before = in.pos, out_before = out.pos;
        size_t ret = ZSTD_decompressStream(dctx, &out, &in);
        if (ZSTD_isError(ret))
            damaged("%s: %s", l->soname, ZSTD_getErrorName(ret));
        if (in.pos == l->csize && ret == 0)
            break;
        if (in.pos == l->csize && out.pos == out_before)
            damaged("%s: truncated zstd frame", l->soname);
        if (in.pos == in_before && out.pos == out_before)
            damaged("%s: more data than its size", l->soname); /* output full, input left */
        if (progress)
            progress(ctx, out.pos);
    }
    ZSTD_freeDCtx(dctx);
    if (out.pos != l->size)
        damaged("%s: decompressed to %zu bytes, not %llu", l->soname, out.pos,
                (unsigned long long)l->size);
}

/* Whether `l->size` fits in what its frames can hold: checked before memory is committed. */
static void zstd_check_bound(const struct lib *l, const unsigned char *src)
{
    unsigned long long bound = ZSTD_decompressBound(src, l->csize);
    if (bound == ZSTD_CONTENTSIZE_ERROR || l->size > bound)
        damaged("%s: size beyond its zstd frames", l->soname);
}

/* ---------------------------------------------------------------------------------------- */
/* The CPython API, resolved at run time.  __typeof__ keeps every call type-checked against
 * CPython's prototypes (pyabi.h, checked against every version's Python.h by
 * pylayout_check.c), exactly as if we were linked to it.                                   */

#define PY_FUNCS(X)                                                                          \
    X(PyPreConfig_InitIsolatedConfig) X(Py_PreInitialize) X(PyStatus_Exception)              \
    X(Py_ExitStatusException) X(PyConfig_InitIsolatedConfig) X(PyConfig_SetBytesArgv)       \
    X(PyConfig_SetBytesString) X(PyConfig_SetString) X(PyWideStringList_Append)              \
    X(PyConfig_Clear) X(Py_InitializeFromConfig) X(Py_FinalizeEx) X(PyImport_AppendInittab) \
    X(PyModule_Create2) X(PyUnicode_FSConverter) X(PyBytes_AsString) X(PyErr_SetString)     \
    X(Py_IncRef) X(Py_DecRef) X(PyImport_ImportModule) X(PyObject_GetAttrString)            \
    X(PyObject_CallObject) X(PyObject_IsInstance) X(PyObject_Type)                          \
    X(PyException_GetTraceback) X(PyErr_GivenExceptionMatches) X(PyErr_Restore)             \
    X(PyErr_Print) X(PyArg_ParseTuple) X(PyUnicode_DecodeFSDefault)                         \
    X(PyFile_SetOpenCodeHook) X(PyUnicode_Compare) X(PyObject_CallMethod)                   \
    X(PyMemoryView_FromMemory) X(Py_BuildValue) X(PyBytes_FromStringAndSize)                \
    X(PyEval_EvalCode) X(PyErr_Fetch) X(PyErr_NormalizeException) X(PyException_SetTraceback)
/* Data symbols: dlsym gives the variable's address, so PyExc_* come out as PyObject ** (read
 * with '*' at each use) and _Py_NoneStruct as Py_None itself. */
#define PY_DATA(X)                                                                           \
    X(PyExc_ImportError) X(PyExc_TypeError) X(PyExc_BaseException) X(PyExc_KeyboardInterrupt) \
    X(PyExc_ValueError) X(PyExc_OSError) X(_Py_NoneStruct) X(PyExc_KeyError)                 \
    X(PyExc_NotImplementedError)

#define DECLARE(name) static __typeof__(&name) p_##name;
PY_FUNCS(DECLARE)
PY_DATA(DECLARE)

static void resolve_api(void *py)
{
#define RESOLVE(name)                                                                        \
    if (!(p_##name = (__typeof__(&name))lib_symbol(py, #name)))                                  \
        damaged("libpython lacks %s", #name);
    PY_FUNCS(RESOLVE)
    PY_DATA(RESOLVE)
#undef RESOLVE
}

/* ---------------------------------------------------------------------------------------- */
/* The boot modules: what CPython's start-up imports from its search path (encodings) and    */
/* the runtime itself, as CPython's own frozen modules (PyImport_FrozenModules), from one    */
/* stored entry named by the boot table's `frozen` line.  So nothing is read through         */
/* zipimport before the program runs: its directory of the archive costs ~12 us an entry.   */
/* The entry (freezer/payload.py writes it): "FRZBOOT1", a 4-byte little-endian count, then  */
/* per module a 2-byte name length (with its NUL), a flags byte (1: package), a zero byte,   */
/* the 4-byte length of its marshalled code, the NUL-terminated name, the code.              */

static struct _frozen *g_frozen; /* the interpreter reads it for as long as it runs */
/* After start-up, the runtime's entries only: a stdlib module start-up did not import must
 * come from the store, as the ones it did import are made to look (runtime, _unfreeze). */
static struct _frozen *g_frozen_late;
static const struct _frozen **g_frozen_table;

static void install_frozen(void *py, int fd)
{
    if (!g_frozen_size)
        return;
    const struct _frozen **table = (const struct _frozen **)lib_symbol(py, "PyImport_FrozenModules");
    unsigned char *blob = malloc(g_frozen_size);
    if (!table)
        damaged("libpython lacks PyImport_FrozenModules");
    if (!blob)
        fail("out of memory");
    if (pread_all(fd, blob, g_frozen_size, g_frozen_off) < 0 || memcmp(blob, "FRZBOOT1", 8) != 0)
        damaged("bad frozen modules");
    uint32_t count = le32(blob + 8);
    size_t existing = 0;
    while (*table && (*table)[existing].name)
        existing++;
    if (count > g_frozen_size / 8)
        damaged("bad frozen modules");
    g_frozen = calloc(existing + count + 1, sizeof *g_frozen);
    g_frozen_late = calloc(existing + count + 1, sizeof *g_frozen_late);
    if (!g_frozen || !g_frozen_late)
        fail("out of memory");
    /* CPython's own entries first (before 3.11 they are the import system itself). */
    if (existing) {
        memcpy(g_frozen, *table, existing * sizeof *g_frozen);
        memcpy(g_frozen_late, *table, existing * sizeof *g_frozen);
    }
    size_t late = existing;
    uint64_t at = 12;
    for (uint32_t k = 0; k < count; k++) {
        if (g_frozen_size - at < 8)
            damaged("bad frozen modules");
        const unsigned char *h = blob + at;
        size_t name_len = (size_t)h[0] | (size_t)h[1] << 8;
        uint32_t code_len = le32(h + 4);
        at += 8;
        if (name_len < 2 || code_len > INT32_MAX || g_frozen_size - at < name_len ||
            g_frozen_size - at - name_len < code_len || blob[at + name_len - 1] != '\0' ||
            strlen((const char *)blob + at) != name_len - 1)
            damaged("bad frozen modules");
        const char *name = (const char *)blob + at;
        const unsigned char *code = blob + at + name_len;
        int package = h[2] & 1;
#ifdef FZ_frozen_is_package /* 3.11+ */
        g_frozen[existing + k] = (struct _frozen){.name = name, .code = code,
                                                  .size = (int)code_len, .is_package = package};
#else
        g_frozen[existing + k] = (struct _frozen){.name = name, .code = code,
                                                  .size = package ? -(int)code_len : (int)code_len};
#endif
        if (strncmp(name, "_freezer_runtime", 16) == 0 && (!name[16] || name[16] == '.'))
            g_frozen_late[late++] = g_frozen[existing + k];
        at += name_len + code_len;
    }
    *table = g_frozen;
    g_frozen_table = table;
}

static void frozen_after_start(void)
{
    if (g_frozen_table)
        *g_frozen_table = g_frozen_late;
}

/* _freezer_boot.locate(name) -> (offset, size, method): where a zip entry's bytes are in our
 * file, from the central directory, read once and checked as we go (zipimport's directory
 * costs ~12 us an entry in Python; this, a binary search).  KeyError if there is none;
 * NotImplementedError for a zip64 archive (the runtime then asks zipimport). */
static unsigned char *g_cd;
static const unsigned char **g_cd_index;
static size_t g_cd_count;

static int read_directory(void)
{
    if (g_cd)
        return 0;
    uint64_t fsize;
    if (g_zip64 || file_size(g_self_fd, &fsize) < 0 || g_cd_off + g_cd_size > fsize)
        return -1;
    unsigned char *cd = malloc(g_cd_size + 1);
    const unsigned char **index = calloc(g_cd_entries + 1, sizeof *index);
    if (!cd || !index || pread_all(g_self_fd, cd, g_cd_size, g_cd_off) < 0)
        goto bad;
    size_t at = 0, n = 0;
    while (n < g_cd_entries) {
        if (g_cd_size - at < 46 || memcmp(cd + at, "PK\1\2", 4) != 0)
            goto bad;
        size_t len = 46 + (size_t)(cd[at + 28] | cd[at + 29] << 8) +
                     (size_t)(cd[at + 30] | cd[at + 31] << 8) + (size_t)(cd[at + 32] | cd[at + 33] << 8);
        if (g_cd_size - at < len)
            goto bad;
        index[n++] = cd + at;
        at += len;
    }
    g_cd = cd, g_cd_index = index, g_cd_count = n;
    return 0;
bad:
    free(cd);
    free(index);
    return -1;
}

static int name_cmp(const char *name, size_t len, const unsigned char *rec)
{
    size_t rlen = (size_t)(rec[28] | rec[29] << 8);
    int c = memcmp(name, rec + 46, len < rlen ? len : rlen);
    return c ? c : (len > rlen) - (len < rlen);
}

static PyObject *boot_locate(PyObject *module, PyObject *args)
{
    (void)module;
    const char *name;
    if (!p_PyArg_ParseTuple(args, "s:locate", &name))
        return NULL;
    size_t len = strlen(name);
    if (read_directory() < 0) {
        p_PyErr_SetString(*p_PyExc_NotImplementedError, "locate: no plain zip directory");
        return NULL;
    }
    /* The build writes the entries sorted by name (freezer/payload.py); should they not be,
     * the search still ends, and a name not found is looked for one by one. */
    const unsigned char *rec = NULL;
    size_t lo = 0, hi = g_cd_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = name_cmp(name, (size_t)len, g_cd_index[mid]);
        if (c == 0) {
            rec = g_cd_index[mid];
            break;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    for (size_t k = 0; !rec && k < g_cd_count; k++)
        if (name_cmp(name, (size_t)len, g_cd_index[k]) == 0)
            rec = g_cd_index[k];
    if (!rec) {
        p_PyErr_SetString(*p_PyExc_KeyError, name);
        return NULL;
    }
    unsigned method = rec[10] | rec[11] << 8;
    uint64_t csize = le32(rec + 20), header = le32(rec + 42);
    unsigned char local[30];
    if (header > g_cd_off || g_cd_off - header < 30 ||
        pread_all(g_self_fd, local, 30, header) < 0 || memcmp(local, "PK\3\4", 4) != 0) {
        p_PyErr_SetString(*p_PyExc_ValueError, "locate: damaged executable (bad entry)");
        return NULL;
    }
    uint64_t data = header + 30 + (uint64_t)(local[26] | local[27] << 8) +
                    (uint64_t)(local[28] | local[29] << 8);
    if (data > g_cd_off || g_cd_off - data < csize) {
        p_PyErr_SetString(*p_PyExc_ValueError, "locate: damaged executable (bad entry)");
        return NULL;
    }
    return p_Py_BuildValue("(KKI)", (unsigned long long)data, (unsigned long long)csize, method);
}

/* _freezer_boot.read(offset, size) -> bytes: `size` bytes of our file at `offset` (a stored
 * entry that locate() found: the manifest, the main code). */
static PyObject *boot_read(PyObject *module, PyObject *args)
{
    (void)module;
    unsigned long long offset, size;
    uint64_t fsize;
    if (!p_PyArg_ParseTuple(args, "KK:read", &offset, &size))
        return NULL;
    if (file_size(g_self_fd, &fsize) < 0 || size > fsize || offset > fsize - size) {
        p_PyErr_SetString(*p_PyExc_ValueError, "read: beyond the executable");
        return NULL;
    }
    PyObject *out = p_PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (out && pread_all(g_self_fd, p_PyBytes_AsString(out), size, offset) < 0) {
        p_Py_DecRef(out);
        p_PyErr_SetString(*p_PyExc_OSError, "read: cannot read the executable");
        return NULL;
    }
    return out;
}

static int zstd_entry_arg(PyObject *args, const char *format, struct lib *l)
{
    unsigned long long offset, csize, size;
    const char *sha, *name;
    if (!p_PyArg_ParseTuple(args, format, &offset, &csize, &size, &sha, &name))
        return -1;
    char line[MAX_SONAME + 200];
    snprintf(line, sizeof line, "zstd %llu %llu %llu %s %s", offset, csize, size, sha, name);
    uint64_t fsize;
    static const unsigned char zst[4] = {0x28, 0xb5, 0x2f, 0xfd};
    unsigned char magic4[4];
    if (parse_boot_line(line, l) < 0 || file_size(g_self_fd, &fsize) < 0 ||
        l->csize > fsize || l->offset > fsize - l->csize ||
        l->csize < 4 || l->size == 0 || pread_all(g_self_fd, magic4, 4, l->offset) < 0 ||
        memcmp(magic4, zst, 4) != 0) {
        p_PyErr_SetString(*p_PyExc_ValueError, "not a zstd entry of this executable");
        return -1;
    }
    return 0;
}

static PyMethodDef boot_methods[] = {
    {"cache_root", boot_cache_root, METH_NOARGS,
     "cache_root() -> path of the checked per-user cache root (OSError: why there is none)."},
    {"dlopen", boot_dlopen, METH_O, "dlopen(path): load a shared library RTLD_NOW|RTLD_GLOBAL."},
    {"unpack", boot_unpack, METH_VARARGS,
     "unpack(offset, csize, size, sha256, name) -> path of the decompressed native file."},
    {"locate", boot_locate, METH_VARARGS,
     "locate(name) -> (offset, size, method) of a zip entry's bytes in the executable."},
    {"read", boot_read, METH_VARARGS, "read(offset, size) -> bytes of the executable."},
    {"map", boot_map, METH_VARARGS,
     "map(offset, csize, size, sha256, name) -> read-only memoryview of a decompressed entry."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef boot_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "_freezer_boot",
    .m_doc = "Services of the freezer bootloader.",
    .m_size = -1,
    .m_methods = boot_methods,
};

static PyObject *boot_module_init(void)
{
    return p_PyModule_Create2(&boot_module, PYTHON_API_VERSION);
}

/* ---------------------------------------------------------------------------------------- */
/* Starting Python.                                                                          */

static void check(PyStatus st, PyConfig *config)
{
    if (p_PyStatus_Exception(st)) {
        if (config)
            p_PyConfig_Clear(config);
        p_Py_ExitStatusException(st); /* prints "Fatal Python error" and exits */
    }
}

static void init_python(void)
{
    PyPreConfig pre;
    p_PyPreConfig_InitIsolatedConfig(&pre);
    preconfigure(&pre);
    check(p_Py_PreInitialize(&pre), NULL);

    if (p_PyImport_AppendInittab("_freezer_boot", boot_module_init) < 0)
        fail("cannot register _freezer_boot");

    PyConfig c;
    p_PyConfig_InitIsolatedConfig(&c); /* no environment variables, no user site */
    /* Ctrl-C raises KeyboardInterrupt, SIGPIPE ignored */
    FZ_CONFIG_INT(&c, install_signal_handlers) = 1;
    FZ_CONFIG_INT(&c, site_import) = 0;
    FZ_CONFIG_INT(&c, write_bytecode) = 0;
    FZ_CONFIG_INT(&c, user_site_directory) = 0;
    /* sys.argv is argv, untouched: the options belong to the program */
    FZ_CONFIG_INT(&c, parse_argv) = 0;
    FZ_CONFIG_INT(&c, pathconfig_warnings) = 0;
    FZ_CONFIG_INT(&c, buffered_stdio) = 1;
#ifdef FZ_PyConfig_use_frozen_modules /* 3.11+ */
    FZ_CONFIG_INT(&c, use_frozen_modules) = 1; /* else it probes the disk for a source tree */
#endif
    configure_paths(&c);
    /* Everything is imported from our own file by zipimport. */
    FZ_CONFIG_INT(&c, module_search_paths_set) = 1;
    check(p_PyWideStringList_Append(&FZ_CONFIG_LIST(&c, module_search_paths),
                                    FZ_CONFIG_WSTR(&c, executable)), &c);

    PyStatus st = p_Py_InitializeFromConfig(&c);
    p_PyConfig_Clear(&c);
    check(st, NULL);
}

/* Finalises and turns the outcome into an exit status the way python's own main does. */
static int finish(int status, int keyboard_interrupt)
{
    int fin = p_Py_FinalizeEx();
    if (keyboard_interrupt)
        return interrupted_exit();
    return fin < 0 ? 120 : status;
}

/* Evaluate the program's code as python's own main does (run_mod: PyEval_EvalCode from C),
 * so that no frame of the runtime is below it; return None, or the exception it raised,
 * its traceback on it, after telling the runtime (`ended`).  NULL if that call failed. */
static PyObject *run_code(PyObject *rt, PyObject *code, PyObject *globals)
{
    PyObject *res = p_PyEval_EvalCode(code, globals, globals);
    if (res) {
        p_Py_DecRef(res);
        p_Py_IncRef(p__Py_NoneStruct);
        return p__Py_NoneStruct;
    }
    PyObject *type, *value, *tb;
    p_PyErr_Fetch(&type, &value, &tb);
    p_PyErr_NormalizeException(&type, &value, &tb);
    if (tb)
        p_PyException_SetTraceback(value, tb);
    p_Py_DecRef(type);
    if (tb)
        p_Py_DecRef(tb);
    PyObject *ended = p_PyObject_GetAttrString(rt, "ended");
    PyObject *args = ended ? p_Py_BuildValue("(O)", value) : NULL;
    PyObject *done = args ? p_PyObject_CallObject(ended, args) : NULL;
    if (ended)
        p_Py_DecRef(ended);
    if (args)
        p_Py_DecRef(args);
    if (!done) {
        p_Py_DecRef(value);
        return NULL;
    }
    p_Py_DecRef(done);
    return value;
}

static int run_python(void)
{
    PyObject *res = NULL, *rt = p_PyImport_ImportModule("_freezer_runtime");
    if (rt) {
        PyObject *run = p_PyObject_GetAttrString(rt, "run");
        if (run) {
            res = p_PyObject_CallObject(run, NULL);
            p_Py_DecRef(run);
        }
        /* run() returns (code, globals), None, or the exception that ended the program:
         * what is neither None nor an exception is the pair, which PyArg_ParseTuple checks
         * (PyTuple_Check is a macro over the type's flags, a layout pyabi.h does not have). */
        int is_exc = res && res != p__Py_NoneStruct
                         ? p_PyObject_IsInstance(res, *p_PyExc_BaseException) : 1;
        PyObject *code, *globals;
        if (is_exc == 0 && p_PyArg_ParseTuple(res, "OO", &code, &globals)) {
            PyObject *ran = run_code(rt, code, globals); /* res holds code and globals */
            p_Py_DecRef(res);
            res = ran;
        } else if (is_exc <= 0) { /* the check or the pair failed: the runtime's error */
            p_Py_DecRef(res);
            res = NULL;
        }
        p_Py_DecRef(rt);
    }
    if (!res) { /* the runtime itself failed */
        p_PyErr_Print();
        return finish(1, 0);
    }
    if (res == p__Py_NoneStruct) {
        p_Py_DecRef(res);
        return finish(0, 0);
    }
    if (p_PyObject_IsInstance(res, *p_PyExc_BaseException) != 1) {
        p_Py_DecRef(res);
        p_PyErr_SetString(*p_PyExc_TypeError, "_freezer_runtime.run() returned a non-exception");
        p_PyErr_Print();
        return finish(1, 0);
    }
    /* The program ended with an exception: make it the current one again so PyErr_Print
     * reports it (through sys.excepthook) and handles SystemExit exactly as python does. */
    int interrupted = p_PyErr_GivenExceptionMatches(res, *p_PyExc_KeyboardInterrupt);
    PyObject *type = p_PyObject_Type(res);           /* new reference */
    PyObject *tb = p_PyException_GetTraceback(res); /* new reference or NULL */
    p_PyErr_Restore(type, res, tb);                  /* steals all three, res included */
    p_PyErr_Print(); /* for SystemExit this exits the process itself */
    return finish(1, interrupted);
}

/* Our own file, open for good, and its absolute path in `self`.  /proc/self/exe rather than
 * argv[0], which may be a bare name found on $PATH, a symlink, or anything the caller chose;
 * without /proc, the path the kernel was asked to run (AT_EXECFN), made absolute. */

/* From a loaded libpython to the program's exit status: the API resolved, the boot modules
 * installed, the platform's hooks, the interpreter started, the runtime run. */
static int start_python(void *py, int fd)
{
    resolve_api(py);
    install_frozen(py, fd);
    before_start(fd);
    init_python();
    frozen_after_start();
    return run_python();
}

/* ---------------------------------------------------------------------------------------- */
#ifdef _WIN32
#include "boot_win32.c"
#else
#include "boot_posix.c"
#endif
