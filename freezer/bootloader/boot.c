/*
 * freezer bootloader: the ELF at the front of every frozen executable.
 *
 * The file is [this program][zip payload][zip end record whose comment is the boot table].
 * We read the boot table, load libpython (and anything it needs) out of our own file,
 * decompressing it once into the per-user cache when it is stored compressed, start an
 * isolated interpreter whose only import path is our own file (zipimport does
 * the rest), and hand over to `_freezer_runtime.run()`.  See docs/design.md.
 *
 * This program is never linked against libpython: the payload decides which libpython is
 * used, so every CPython function is looked up with dlsym() after the library is loaded.
 * It is compiled per target CPython only because PyConfig's layout differs per version:
 * -DFREEZER_PY_MINOR=N picks that version's layout from pylayout.h (pyabi.h declares the
 * API itself, so no Python.h is needed).
 *
 * It is built against glibc 2.17 (zig's -target <arch>-linux-gnu.2.17), so it runs on any
 * Linux distribution of the last decade: the few newer functions it needs (memfd_create,
 * getrandom) are called as raw system calls, see below.
 */
#define _GNU_SOURCE 1 /* secure_getenv, O_CLOEXEC & co */
#include "pyabi.h"

#include <dlfcn.h>
#include <errno.h>
/* Linked statically (libzstd.a), so the bootloader needs nothing on the target; that is also
 * what makes the "static linking only" API (a stable output buffer) safe to use. */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

/* glibc has wrappers for these only from 2.27 (memfd_create) and 2.25 (getrandom): the
 * system calls themselves (Linux 3.17) are called directly, so the binary needs no newer
 * glibc than 2.17.  On an older kernel they fail with ENOSYS, which every caller handles
 * (the cache instead of a memfd; the time instead of random bytes). */
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef GRND_NONBLOCK
#define GRND_NONBLOCK 0x0001
#endif
#if !defined(SYS_memfd_create) || !defined(SYS_getrandom)
#error "no system call numbers for memfd_create/getrandom in these kernel headers"
#endif
static int sys_memfd_create(const char *name, unsigned int flags)
{
    return (int)syscall(SYS_memfd_create, name, flags);
}
static ssize_t sys_getrandom(void *buf, size_t len, unsigned int flags)
{
    return (ssize_t)syscall(SYS_getrandom, buf, len, flags);
}

#define EOCD_SIZE 22                  /* zip end-of-central-directory record, sans comment */
#define EOCD_SEARCH (65535 + EOCD_SIZE) /* the comment length is 16 bits */
#define MAX_SONAME 200

static const char *g_self = "freezer"; /* our path, for error messages */
/* The zip's central directory (from its end record) and the boot table's `frozen` entry. */
static uint64_t g_cd_off, g_cd_size, g_cd_entries;
static int g_zip64;
static uint64_t g_frozen_off, g_frozen_size;
static int g_self_fd = -1;            /* our own file, open for the life of the process */

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

/* pread that insists on the whole range: a short read means the file is shorter than it says */
static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n, len -= (size_t)n, off += (uint64_t)n;
    }
    return 0;
}

/* If the parent closed stdin/stdout/stderr, our files must not take those numbers: Python
 * would adopt a memfd holding libpython as sys.stdout and write into it.  Python itself
 * must see them closed, as it would when started the same way. */
static int above_stdio(int fd)
{
    if (fd < 0 || fd > 2)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return moved;
}

/* Copies [off, off+size) of `in` to `out` in the kernel.  sendfile rather than
 * copy_file_range, which fails with EXDEV between a regular file and a memfd. */
static int copy_range(int in, uint64_t off, uint64_t size, int out)
{
    off_t pos = (off_t)off;
    while (size > 0) {
        size_t chunk = size > (1u << 30) ? (1u << 30) : (size_t)size;
        ssize_t n = sendfile(out, in, &pos, chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            errno = EIO; /* source shrank under us */
        if (n <= 0)
            return -1;
        size -= (uint64_t)n;
    }
    return 0;
}

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
    struct stat st;
    if (fstat(fd, &st) < 0)
        damaged("cannot stat: %s", strerror(errno));
    uint64_t fsize = (uint64_t)st.st_size;
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

/* Hashing on a second thread, following a producer that fills `data` front to back: on a
 * first start, libpython's SHA-256 then costs no time beside its decompression. */
struct hasher {
    const unsigned char *data;
    uint64_t size;
    uint64_t ready; /* bytes the producer has written; guarded by mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    char hex[65];
};

#define HASH_STEP (256u << 10) /* wake the hasher per this much new data */

static void *hasher_main(void *arg)
{
    struct hasher *hs = arg;
    uint32_t h[8];
    memcpy(h, SHA256_INIT, sizeof h);
    uint64_t done = 0;
    for (;;) {
        pthread_mutex_lock(&hs->mu);
        while (hs->ready < hs->size && hs->ready - done < HASH_STEP)
            pthread_cond_wait(&hs->cv, &hs->mu);
        uint64_t ready = hs->ready;
        pthread_mutex_unlock(&hs->mu);
        if (ready == hs->size)
            break;
        uint64_t upto = ready / 64 * 64;
        sha256_blocks(h, hs->data + done, (size_t)((upto - done) / 64));
        done = upto;
    }
    sha256_finish(h, hs->data, done, hs->size, hs->hex);
    return NULL;
}

static void hasher_advance(struct hasher *hs, uint64_t ready)
{
    pthread_mutex_lock(&hs->mu);
    hs->ready = ready;
    pthread_cond_signal(&hs->cv);
    pthread_mutex_unlock(&hs->mu);
}

/* ---------------------------------------------------------------------------------------- */
/* Loading the boot libraries.                                                              */
/*                                                                                          */
/* A stored library goes into a memfd (nothing written to disk), or to the cache when memfd  */
/* cannot be used.  A compressed one is decompressed once into the cache and dlopened from   */
/* there on every later start, which costs no more than python's own dlopen of libpython;    */
/* only where the cache cannot be written is it decompressed into a memfd, on every start.   */

static void verify_self_end(void);

static void *dlopen_global(const char *path)
{
    verify_self_end();
    return dlopen(path, RTLD_NOW | RTLD_GLOBAL);
}

/* A read-only view of [off, off+len) of our own file; *base and *span are for munmap. */
static const unsigned char *map_range(int self, uint64_t off, uint64_t len, void **base,
                                      size_t *span)
{
    uint64_t start = off & ~(uint64_t)(sysconf(_SC_PAGESIZE) - 1);
    *span = (size_t)(off - start + len);
    *base = mmap(NULL, *span, PROT_READ, MAP_PRIVATE, self, (off_t)start);
    return *base == MAP_FAILED ? NULL : (const unsigned char *)*base + (off - start);
}

/* Decompresses a compressed library into fresh anonymous memory (munmap it with l->size),
 * and with `hex` also computes its SHA-256, on a second thread as the data comes out.  Bad
 * data is a damaged executable: the frame carries a checksum of its content. */
static unsigned char *unpack(int self, const struct lib *l, char hex[65])
{
    void *base;
    size_t span;
    const unsigned char *src = map_range(self, l->offset, l->csize, &base, &span);
    if (!src)
        fail("cannot map %s: %s", l->soname, strerror(errno));
    /* Populated up front (below): one call instead of a page fault per 4 KiB as it fills.
     * The size is bounded by what the frames can hold before any memory is committed. */
    unsigned long long bound = ZSTD_decompressBound(src, l->csize);
    if (bound == ZSTD_CONTENTSIZE_ERROR || l->size > bound)
        damaged("%s: size beyond its zstd frames", l->soname);
    unsigned char *dst = mmap(NULL, l->size, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if ((void *)dst == MAP_FAILED || !dctx)
        fail("out of memory for %s (%llu bytes)", l->soname, (unsigned long long)l->size);
    /* The whole output buffer stays put, so zstd decodes straight into it (no window copy). */
    ZSTD_DCtx_setParameter(dctx, ZSTD_d_stableOutBuffer, 1);

    static struct hasher hs;
    int threaded = 0;
    if (hex) {
        hs = (struct hasher){.data = dst, .size = l->size};
        pthread_mutex_init(&hs.mu, NULL);
        pthread_cond_init(&hs.cv, NULL);
        threaded = pthread_create(&hs.thread, NULL, hasher_main, &hs) == 0;
    }
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
        if (threaded)
            hasher_advance(&hs, out.pos);
    }
    ZSTD_freeDCtx(dctx);
    munmap(base, span);
    if (out.pos != l->size)
        damaged("%s: decompressed to %zu bytes, not %llu", l->soname, out.pos,
                (unsigned long long)l->size);
    if (threaded) {
        hasher_advance(&hs, l->size);
        pthread_join(hs.thread, NULL);
        memcpy(hex, hs.hex, 65);
    } else if (hex) {
        sha256_mem(dst, l->size, hex);
    }
    return dst;
}

static int write_all(int fd, const unsigned char *p, uint64_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len > (1u << 30) ? (1u << 30) : (size_t)len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n, len -= (uint64_t)n;
    }
    return 0;
}

/* The path dlopen gets for a library open as `fd`: /proc/<pid>/fd/N, which names the same
 * file to anyone who reads the process's list of libraries (a debugger reading
 * /proc/self/fd/N would open its own descriptor N, and gdb then hangs on a pipe), or
 * /proc/self/fd/N where /proc belongs to another pid namespace and <pid> is not us. */
static void fd_path(int fd, char *buf, size_t cap)
{
    struct stat a, b;
    snprintf(buf, cap, "/proc/%ld/fd/%d", (long)getpid(), fd);
    if (stat(buf, &a) == 0 && fstat(fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return;
    snprintf(buf, cap, "/proc/self/fd/%d", fd);
}

/* Preferred for a stored library: an anonymous in-memory file, so nothing is ever written to
 * disk.  `data` is the library's bytes when they are already in memory (decompressed), else
 * NULL and they are copied from our own file in the kernel. */
static void *load_from_memfd(int self, const struct lib *l, const unsigned char *data)
{
    int fd = above_stdio(sys_memfd_create(l->soname, MFD_CLOEXEC));
    if (fd < 0)
        return NULL;
    char path[64];
    fd_path(fd, path, sizeof path);
    int copied = data ? write_all(fd, data, l->size) : copy_range(self, l->offset, l->size, fd);
    void *h = copied == 0 ? dlopen_global(path) : NULL;
    /* On success the fd stays open for the life of the process: glibc recognises loaded
     * libraries by path string, so a later memfd reusing this number would alias it. */
    if (!h)
        close(fd);
    return h;
}

/* ---------------------------------------------------------------------------------------- */
/* The per-user cache, trusted only as far as our own checks go (docs/design.md, "Threat    */
/* model").  The root and every directory under it must be ours and writable by nobody      */
/* else; they are walked with openat(O_NOFOLLOW) from checked descriptors, so a symbolic     */
/* link or a directory someone else swapped in is never followed.  Each directory above the  */
/* root must belong to root or to us and be writable by no one else unless sticky (/tmp),    */
/* or someone else could rename the root itself away.  A cached file is used only when it is */
/* a regular file of ours whose content we verified: its SHA-256 checked once, and the check */
/* remembered in a record of the file's identity (device, inode, size, mtime, ctime: every   */
/* write, chmod or rename changes the ctime, and no one can set it back).  Where any check   */
/* fails the program runs from memory instead.                                               */

static int g_secure; /* started setuid, setgid or with capabilities: AT_SECURE */
static int g_fresh;  /* this binary's first start here: its checksum was not on record */
/* The whole file's checksum, computed while a first start unpacks (see verify_self). */
static struct {
    pthread_t thread;
    int pending, threaded, map_errno, dir;
    int fd;
    uint64_t covered;
    char sha[65], hex[65], name[160], id[256];
} g_verify = {.dir = -1};

/* No cache variable (nor HOME) counts under AT_SECURE: secure_getenv answers NULL then. */
static const char *env(const char *name)
{
    return secure_getenv(name);
}

static int no_memfd(void)
{
    const char *v = env("FREEZER_NO_MEMFD");
    return v && strcmp(v, "1") == 0;
}

/* FREEZER_DEBUG, a comma-separated list (README, "Run-time diagnostics"): whether `what` is
 * in it.  The bootloader reports "boot": the checksum check and each library it loads, from
 * where.  It changes nothing else. */
static int debug_on(const char *what)
{
    const char *v = env("FREEZER_DEBUG");
    size_t n = strlen(what);
    for (const char *p = v; p && (p = strstr(p, what)); p += n)
        if ((p == v || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            return 1;
    return 0;
}

static struct {
    int state; /* 0: not looked at yet, 1: usable, -1: not */
    int fd;    /* the checked root (O_PATH), open for the life of the process */
    char path[PATH_MAX];
    char why[PATH_MAX + 128];
} g_cache;

/* Must match freezer.bootloader.cache_root() on the build side.  NULL, or why none. */
static const char *cache_root_path(char *buf, size_t cap)
{
    if (g_secure)
        return "not used by a program started with elevated privileges";
    const char *v = env("FREEZER_CACHE_DIR");
    int n;
    if (v && *v) {
        if (*v != '/')
            return "FREEZER_CACHE_DIR is not an absolute path";
        n = snprintf(buf, cap, "%s", v);
    } else if ((v = env("XDG_CACHE_HOME")) && *v == '/') { /* XDG: ignore relative values */
        n = snprintf(buf, cap, "%s/freezer", v);
    } else {
        v = env("HOME");
        if (!v || !*v) {
            struct passwd *pw = getpwuid(getuid());
            v = pw ? pw->pw_dir : NULL;
        }
        if (!v || *v != '/')
            return "no home directory (set FREEZER_CACHE_DIR)";
        n = snprintf(buf, cap, "%s/.cache/freezer", v);
    }
    if (n < 0 || (size_t)n >= cap - 300) /* room for native/<sha>/<soname> below it */
        return "cache directory path too long";
    while (n > 1 && buf[n - 1] == '/')
        buf[--n] = '\0';
    return NULL;
}

/* Why a directory cannot be trusted, or NULL.  `ours`: the root and below, where only we may
 * own or write; above it root may own, and others may write only a sticky directory (they
 * cannot rename what is ours there). */
static const char *untrusted(const struct stat *st, int ours)
{
    if (!S_ISDIR(st->st_mode))
        return "not a directory";
    if (st->st_uid != geteuid() && (ours || st->st_uid != 0))
        return "owned by another user";
    if ((st->st_mode & 022) && (ours || !(st->st_mode & S_ISVTX)))
        return "writable by other users";
    return NULL;
}

/* One warning per process when the cache looks tampered with (not merely missing or
 * read-only): running from memory hides nothing the user should not hear about. */
static void warn_untrusted(const char *what, const char *why)
{
    static int warned;
    if (!warned++)
        fprintf(stderr, "freezer: warning: cache directory %s %s: not used\n", what, why);
}

/* The directory `name` under the checked directory `parent`, created 0700 when `create` and
 * missing, opened without following a symbolic link, and checked: a descriptor, or -1 and
 * the reason in *why. */
static int open_dir_at(int parent, const char *name, int create, int ours, const char **why)
{
    static char msg[PATH_MAX + 64];
    int fd = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
        if (mkdirat(parent, name, 0700) < 0 && errno != EEXIST) {
            snprintf(msg, sizeof msg, "cannot create %s: %s", name, strerror(errno));
            *why = msg;
            return -1;
        }
        fd = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
        int link = errno == ENOTDIR || errno == ELOOP;
        snprintf(msg, sizeof msg, "%s: %s", name,
                 link ? "a symbolic link or not a directory" : strerror(errno));
        if (link && ours)
            warn_untrusted(name, "is a symbolic link or not a directory");
        *why = msg;
        return -1;
    }
    struct stat st;
    const char *bad = fstat(fd, &st) < 0 ? strerror(errno) : untrusted(&st, ours);
    if (bad) {
        close(fd);
        snprintf(msg, sizeof msg, "%s: %s", name, bad);
        if (ours)
            warn_untrusted(name, bad);
        *why = msg;
        return -1;
    }
    return above_stdio(fd);
}

/* mkdir -p with mode 0700 of the directories above the root; what fails shows up when the
 * path is walked. */
static void make_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0700);
            *p = '/';
        }
    }
}

/* Opens the root: its parent resolved once (a symbolic link above the root is the system's
 * layout, e.g. /home -> /usr/home), then every component walked from "/" without following
 * links and checked, the root itself created 0700 when missing. */
static const char *open_root(char *path, int *out)
{
    static char msg[PATH_MAX + 64];
    make_parents(path);
    char *slash = strrchr(path, '/');
    char canon[PATH_MAX];
    *slash = '\0';
    int ok = realpath(*path ? path : "/", canon) != NULL;
    *slash = '/';
    if (!ok) {
        snprintf(msg, sizeof msg, "%s: %s", path, strerror(errno));
        return msg;
    }
    const char *why = NULL;
    int fd = above_stdio(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || (why = untrusted(&st, 0)))
        return why ? why : "cannot open /";
    for (char *part = strtok(canon, "/"); part; part = strtok(NULL, "/")) {
        int next = open_dir_at(fd, part, 0, 0, &why);
        close(fd);
        if (next < 0) {
            snprintf(msg, sizeof msg, "above the cache, %s", why);
            return msg;
        }
        fd = next;
    }
    int root = open_dir_at(fd, slash + 1, 1, 1, &why);
    close(fd);
    if (root < 0)
        return why;
    *out = root;
    return NULL;
}

/* The checked cache root (looked at once per process), or -1 and the reason in *why. */
static int cache_root_fd(const char **why)
{
    if (!g_cache.state) {
        g_cache.state = -1;
        const char *bad = cache_root_path(g_cache.path, sizeof g_cache.path);
        if (!bad)
            bad = open_root(g_cache.path, &g_cache.fd);
        if (bad)
            snprintf(g_cache.why, sizeof g_cache.why, "%s", bad);
        else
            g_cache.state = 1;
    }
    *why = g_cache.why;
    return g_cache.state > 0 ? g_cache.fd : -1;
}

/* The checked directory <root>/<a>/<b> (b may be NULL), created as needed. */
/* The last-use mark `freeze cache prune` reads (freezer/cache_admin.py): the mtime of each
 * directory of the cache a start opens (native/<sha>: a library, a module or a store
 * stream) and of the binary's own record under verified/, moved to now once it is
 * MARK_SECONDS old.  A warm start pays one fstatat and a clock read per entry (no write but
 * once a day); a file's own mtime is never touched, as it is part of its identity. */
#define MARK_SECONDS 86400

static void mark_used(int parent, const char *name)
{
    struct stat st;
    struct timespec now;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        clock_gettime(CLOCK_REALTIME, &now) == 0 &&
        now.tv_sec - st.st_mtim.tv_sec >= MARK_SECONDS)
        utimensat(parent, name, NULL, AT_SYMLINK_NOFOLLOW);
}

static int cache_dir(const char *a, const char *b, const char **why)
{
    int root = cache_root_fd(why);
    if (root < 0)
        return -1;
    int d = open_dir_at(root, a, 1, 1, why);
    if (d < 0 || !b)
        return d;
    int e = open_dir_at(d, b, 1, 1, why);
    if (e >= 0)
        mark_used(d, b);
    close(d);
    return e;
}

/* What any change to a file changes. */
static void identity(const struct stat *st, const char *sha, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s %llu %llu %llu %lld.%09ld %lld.%09ld\n", sha,
             (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
             (unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec,
             st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

/* A regular file of ours that no one else can write, of `size` bytes (any size if -1). */
static int ours_regular(int fd, struct stat *st, int64_t size)
{
    return fstat(fd, st) == 0 && S_ISREG(st->st_mode) && st->st_uid == geteuid() &&
           !(st->st_mode & 022) && (size < 0 || st->st_size == size);
}

static int record_matches(int dir, const char *name, const char *expect)
{
    char buf[256];
    struct stat st;
    int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t len = strlen(expect);
    int ok = ours_regular(fd, &st, (int64_t)len) && len < sizeof buf &&
             pread_all(fd, buf, len, 0) == 0 && memcmp(buf, expect, len) == 0;
    close(fd);
    return ok;
}

/* Temp files of runs killed half-way: removed by the next run that writes into the same
 * directory, once old enough that no live run can still be writing them. */
#define TMP_PREFIX ".freezer-tmp-"
#define STALE_SECONDS 600

static void sweep_stale(int dir)
{
    int rfd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = rfd >= 0 ? fdopendir(rfd) : NULL;
    if (!d) {
        if (rfd >= 0)
            close(rfd);
        return;
    }
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d))) {
        struct stat st;
        if (strncmp(e->d_name, TMP_PREFIX, sizeof TMP_PREFIX - 1) == 0 &&
            fstatat(dir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            st.st_uid == geteuid() && now - st.st_mtime > STALE_SECONDS)
            unlinkat(dir, e->d_name, 0);
    }
    closedir(d);
}

/* Writes `len` bytes to `name` in the checked directory `dir` through a temp file renamed
 * into place (racing first runs never see a partial file; rename() is atomic).  The file's
 * descriptor (read-write) when `keep`, else 0; -1 and errno on failure, leaving nothing. */
static int write_file_at(int dir, const char *name, const void *data, uint64_t len, int keep,
                         mode_t mode)
{
    char tmp[64];
    unsigned char rnd[8];
    if (sys_getrandom(rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd) {
        uint64_t t = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32 ^ (uintptr_t)&rnd;
        memcpy(rnd, &t, sizeof rnd);
    }
    snprintf(tmp, sizeof tmp, TMP_PREFIX "%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    sweep_stale(dir);
    int fd = above_stdio(openat(dir, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                mode));
    if (fd < 0)
        return -1;
    int bad = write_all(fd, data, len) < 0 || renameat(dir, tmp, dir, name) < 0;
    int err = errno;
    if (bad) {
        unlinkat(dir, tmp, 0);
        close(fd);
        errno = err;
        return -1;
    }
    if (keep)
        return fd;
    close(fd);
    return 0;
}

/* Remembers that the file open as `fd` holds the content `sha`. */
static void remember(int dir, const char *name, int fd, const char *sha)
{
    struct stat st;
    char id[256], rec[NAME_MAX + 8];
    if (fstat(fd, &st) < 0 || snprintf(rec, sizeof rec, "%s.ok", name) >= (int)sizeof rec)
        return;
    identity(&st, sha, id, sizeof id);
    write_file_at(dir, rec, id, strlen(id), 0, 0600); /* best effort: else we hash again */
}

/* Our file `name` in the checked directory `dir`, if it holds the `size` bytes whose SHA-256
 * is `sha`: its descriptor, else -1.  Hashed only when its identity is not the one recorded
 * when it was last verified, and then only if `rehash` (else -1: nothing hashed or written). */
static int open_verified(int dir, const char *name, uint64_t size, const char *sha, int rehash)
{
    struct stat st;
    int fd = above_stdio(openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd < 0)
        return -1;
    if (!ours_regular(fd, &st, (int64_t)size))
        goto bad;
    char id[256], rec[NAME_MAX + 8];
    identity(&st, sha, id, sizeof id);
    if (snprintf(rec, sizeof rec, "%s.ok", name) >= (int)sizeof rec)
        goto bad;
    if (record_matches(dir, rec, id))
        return fd;
    if (!rehash)
        goto bad; /* asked not to hash or write anything (the file is not trusted yet) */
    void *base;
    size_t span;
    const unsigned char *p = map_range(fd, 0, size, &base, &span);
    if (!p)
        goto bad;
    char hex[65];
    sha256_mem(p, size, hex);
    munmap(base, span);
    if (strcmp(hex, sha) != 0)
        goto bad; /* rewritten by the caller, from our own verified bytes */
    remember(dir, name, fd, sha);
    return fd;
bad:
    close(fd);
    return -1;
}

/* Writes a library whose bytes (SHA-256 `hex`) are in memory into the checked directory and
 * records it verified: its descriptor, or -1. */
static int store(int dir, const struct lib *l, const unsigned char *data, const char *hex)
{
    verify_self_end();
    if (strcmp(hex, l->sha) != 0)
        damaged("%s: SHA-256 mismatch", l->soname);
    int fd = write_file_at(dir, l->soname, data, l->size, 1, 0700);
    if (fd >= 0)
        remember(dir, l->soname, fd, l->sha);
    return fd;
}

/* dlopen of a verified file by its descriptor, so what is loaded is what was checked; by its
 * path (in checked directories) only where there is no /proc. */
static void *dlopen_fd(int fd, const struct lib *l)
{
    char path[PATH_MAX];
    fd_path(fd, path, sizeof path);
    void *h = dlopen_global(path);
    if (!h && access("/proc/self/fd", F_OK) != 0) {
        if (snprintf(path, sizeof path, "%s/native/%s/%s", g_cache.path, l->sha, l->soname) <
            (int)sizeof path)
            h = dlopen_global(path);
    }
    /* On success fd stays open for the life of the process (as for a memfd, below). */
    if (!h)
        close(fd);
    return h;
}

/* Loads the library from the cache, writing it there first when needed; NULL (and why) when
 * the cache cannot serve.  `data`: its bytes in memory, or NULL to map them from our file
 * (a stored library). */
/* libpython decompressed (and hashed) ahead of its turn, while the whole file's checksum is
 * computed on its own thread (first start only: see verify_self); load_via_cache takes it. */
static const struct lib *g_pre_lib;
static unsigned char *g_pre_data;
static char g_pre_hex[65];

/* Whether `l` is in the cache, verified, looked up without writing anything (no directory
 * made, no record written): the file is not trusted yet. */
static int cached_already(const struct lib *l)
{
    const char *why;
    int root = cache_root_fd(&why);
    int native = root >= 0 ? open_dir_at(root, "native", 0, 1, &why) : -1;
    int dir = native >= 0 ? open_dir_at(native, l->sha, 0, 1, &why) : -1;
    int fd = dir >= 0 ? open_verified(dir, l->soname, l->size, l->sha, 0) : -1;
    if (fd >= 0)
        close(fd);
    if (dir >= 0)
        close(dir);
    if (native >= 0)
        close(native);
    return fd >= 0;
}

static void prefetch(int self, const struct lib *l)
{
    if (!g_verify.pending || !l->csize || cached_already(l))
        return;
    g_pre_data = unpack(self, l, g_pre_hex);
    g_pre_lib = l;
}

/* The cache directory of one native file or store stream, swept on this binary's first
 * start of what killed first starts left there, even where nothing is missing (the file
 * itself may have been finished by another start). */
static int native_dir(const char *sha, const char **why)
{
    int dir = cache_dir("native", sha, why);
    if (dir >= 0 && g_fresh)
        sweep_stale(dir);
    return dir;
}

static void *load_via_cache(int self, const struct lib *l, const char **why, int *unpacked)
{
    int dir = native_dir(l->sha, why);
    if (dir < 0)
        return NULL;
    int fd = open_verified(dir, l->soname, l->size, l->sha, 1);
    void *h = fd >= 0 ? dlopen_fd(fd, l) : NULL;
    if (!h) {
        char hex[65];
        void *base = NULL;
        size_t span = 0;
        const unsigned char *data;
        *unpacked = 1; /* and a memfd tried below: not worth doing twice */
        if (l == g_pre_lib && g_pre_data) {
            data = g_pre_data;
            memcpy(hex, g_pre_hex, sizeof hex);
            g_pre_data = NULL;
        } else if (l->csize) {
            data = unpack(self, l, hex);
        } else if ((data = map_range(self, l->offset, l->size, &base, &span))) {
            sha256_mem(data, l->size, hex);
        }
        if (!data)
            fail("cannot map %s: %s", l->soname, strerror(errno));
        fd = store(dir, l, data, hex);
        int err = errno;
        h = fd >= 0 ? dlopen_fd(fd, l) : NULL;
        if (!h && !no_memfd())
            h = load_from_memfd(self, l, l->csize ? data : NULL);
        if (l->csize)
            munmap((void *)data, l->size);
        else
            munmap(base, span);
        if (fd < 0)
            *why = strerror(err);
    }
    close(dir);
    return h;
}

/* Stored libraries go into a memfd first (nothing written to disk); compressed ones through
 * the cache first (decompressed once).  Either way the other is the fallback. */
static void *load_lib(int self, const struct lib *l)
{
    verify_self_end(); /* nothing of the cache is touched before the file is checked */
    const char *why = NULL;
    void *h = NULL;
    int unpacked = 0;
    const char *from = "memory (memfd)";
    if (!l->csize && !no_memfd())
        h = load_from_memfd(self, l, NULL);
    if (!h) {
        h = load_via_cache(self, l, &why, &unpacked);
        from = "the cache";
    }
    if (!h && l->csize && !unpacked && !no_memfd()) {
        unsigned char *data = unpack(self, l, NULL);
        h = load_from_memfd(self, l, data);
        munmap(data, l->size);
        from = "memory (memfd)";
    }
    if (!h) {
        const char *dl = dlerror();
        fail("cannot load %s: %s", l->soname,
             dl ? dl : why ? why : no_memfd() ? "FREEZER_NO_MEMFD=1" : "no memfd");
    }
    if (debug_on("boot")) {
        if (from[0] == 't')
            fprintf(stderr, "freezer: boot: %s from the cache, %s/native/%s/%s%s\n", l->soname,
                    g_cache.path, l->sha, l->soname, unpacked ? " (unpacked now)" : "");
        else
            fprintf(stderr, "freezer: boot: %s from %s\n", l->soname, from);
    }
    return h;
}

/* For _freezer_boot.unpack(): the path of a compressed native file, decompressed into the
 * cache (or, without a usable cache, into a memfd that stays open), without loading it.
 * NULL with the reason in `why_out` when neither can be written. */
static const char *unpacked_path(int self, const struct lib *l, char path[PATH_MAX],
                                 const char **why_out)
{
    const char *why = NULL;
    int dir = native_dir(l->sha, &why);
    int fd = dir >= 0 ? open_verified(dir, l->soname, l->size, l->sha, 1) : -1;
    if (fd < 0) {
        char hex[65];
        unsigned char *data = unpack(self, l, dir >= 0 ? hex : NULL);
        if (dir >= 0 && (fd = store(dir, l, data, hex)) < 0)
            why = strerror(errno);
        if (fd < 0 && !no_memfd()) {
            int mfd = above_stdio(sys_memfd_create(l->soname, MFD_CLOEXEC));
            if (mfd >= 0 && write_all(mfd, data, l->size) == 0) {
                fd_path(mfd, path, PATH_MAX); /* open for good */
                munmap(data, l->size);
                if (dir >= 0)
                    close(dir);
                return path;
            }
            if (mfd >= 0)
                close(mfd);
        }
        munmap(data, l->size);
    }
    if (dir >= 0)
        close(dir);
    if (fd < 0) {
        *why_out = why;
        return NULL;
    }
    close(fd);
    if (snprintf(path, PATH_MAX, "%s/native/%s/%s", g_cache.path, l->sha, l->soname) >=
        PATH_MAX) {
        *why_out = "the cache path is too long";
        return NULL;
    }
    return path;
}

/* ---------------------------------------------------------------------------------------- */
/* The whole file is checked before any of it is trusted: the boot table's last line is the */
/* SHA-256 of every byte before its digits.  Hashing 5-10 MB costs a few ms, so once done it */
/* is recorded in the cache by the binary's identity, like a cached library.               */

/* On a first start the hashing runs on a thread of its own while libpython is unpacked (the
 * two took 10 and 8 ms of a 46 ms first start, one after the other); nothing from the file is
 * written to the cache or loaded before it is done (verify_self_end, called by store() and
 * every dlopen). */

static void *verify_main(void *unused)
{
    (void)unused;
    void *base;
    size_t span;
    const unsigned char *p = map_range(g_verify.fd, 0, g_verify.covered, &base, &span);
    if (!p) {
        g_verify.map_errno = errno ? errno : EIO;
        return NULL;
    }
    sha256_mem(p, g_verify.covered, g_verify.hex);
    munmap(base, span);
    return NULL;
}

static void verify_self(int fd, uint64_t covered, const char *sha)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        damaged("cannot stat: %s", strerror(errno));
    const char *why;
    identity(&st, sha, g_verify.id, sizeof g_verify.id);
    snprintf(g_verify.name, sizeof g_verify.name, "%s.%llu.%llu", sha,
             (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    int dir = cache_dir("verified", NULL, &why);
    if (dir >= 0 && record_matches(dir, g_verify.name, g_verify.id)) {
        mark_used(dir, g_verify.name);
        close(dir);
        if (debug_on("boot"))
            fprintf(stderr, "freezer: boot: checksum verified before (%s/verified/%s)\n",
                    g_cache.path, g_verify.name);
        return;
    }
    if (debug_on("boot"))
        fprintf(stderr, "freezer: boot: checking the checksum of the whole file (%s)\n",
                dir >= 0 ? "first start here" : "no usable cache");
    g_fresh = 1;
    g_verify.dir = dir;
    g_verify.fd = fd;
    g_verify.covered = covered;
    memcpy(g_verify.sha, sha, 65);
    g_verify.pending = 1;
    g_verify.threaded = pthread_create(&g_verify.thread, NULL, verify_main, NULL) == 0;
    if (!g_verify.threaded)
        verify_main(NULL);
}

/* The end of verify_self: the whole file's checksum matched, or the process ends here. */
static void verify_self_end(void)
{
    if (!g_verify.pending)
        return;
    g_verify.pending = 0;
    if (g_verify.threaded)
        pthread_join(g_verify.thread, NULL);
    if (g_verify.map_errno)
        fail("cannot map the executable: %s", strerror(g_verify.map_errno));
    if (strcmp(g_verify.hex, g_verify.sha) != 0)
        damaged("checksum mismatch");
    if (g_verify.dir >= 0) {
        write_file_at(g_verify.dir, g_verify.name, g_verify.id, strlen(g_verify.id), 0, 0600);
        close(g_verify.dir);
        g_verify.dir = -1;
    }
}

/* A file size limit (ulimit -f) applies to memfds and the cache alike.  A write beyond it
 * must fail with EFBIG (and fall back, like ENOSPC), not kill us with SIGXFSZ: python itself
 * ignores SIGXFSZ, so from here on we do too.  A soft limit below the hard one is lifted
 * while we unpack, so that what python could run we can; a hard limit below the size of
 * libpython leaves nowhere to put it (one line, status 126). */
static struct rlimit g_fsize;

static void lift_fsize(void)
{
    signal(SIGXFSZ, SIG_IGN);
    if (getrlimit(RLIMIT_FSIZE, &g_fsize) == 0 && g_fsize.rlim_cur != g_fsize.rlim_max) {
        struct rlimit lifted = {g_fsize.rlim_max, g_fsize.rlim_max};
        setrlimit(RLIMIT_FSIZE, &lifted);
    }
}

static void restore_fsize(void)
{
    if (g_fsize.rlim_cur != g_fsize.rlim_max)
        setrlimit(RLIMIT_FSIZE, &g_fsize);
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
    if (!(p_##name = (__typeof__(&name))dlsym(py, #name)))                                  \
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
    const struct _frozen **table = (const struct _frozen **)dlsym(py, "PyImport_FrozenModules");
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
    struct stat st;
    if (g_zip64 || fstat(g_self_fd, &st) < 0 || g_cd_off + g_cd_size > (uint64_t)st.st_size)
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
    struct stat st;
    if (!p_PyArg_ParseTuple(args, "KK:read", &offset, &size))
        return NULL;
    if (fstat(g_self_fd, &st) < 0 || size > (uint64_t)st.st_size ||
        offset > (uint64_t)st.st_size - size) {
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

/* _freezer_boot.dlopen(path): the runtime loads an extension's shared libraries with this
 * first, RTLD_GLOBAL, so the extension's own dlopen finds them by soname. */
static PyObject *boot_dlopen(PyObject *module, PyObject *arg)
{
    PyObject *bytes = NULL;
    (void)module;
    if (!p_PyUnicode_FSConverter(arg, &bytes))
        return NULL;
    const char *path = p_PyBytes_AsString(bytes);
    void *h = path ? dlopen(path, RTLD_NOW | RTLD_GLOBAL) : NULL;
    p_Py_DecRef(bytes);
    if (!path)
        return NULL;
    if (!h) {
        const char *e = dlerror();
        p_PyErr_SetString(*p_PyExc_ImportError, e ? e : "dlopen failed");
        return NULL;
    }
    p_Py_IncRef(p__Py_NoneStruct);
    return p__Py_NoneStruct;
}

/* The arguments (offset, csize, size, sha256, name) of unpack() and map(): one zstd entry of
 * our file, checked as a boot-table line is, so a bad argument cannot escape the cache or
 * read outside the file.  0, or -1 with ValueError set. */
static int zstd_entry_arg(PyObject *args, const char *format, struct lib *l)
{
    unsigned long long offset, csize, size;
    const char *sha, *name;
    if (!p_PyArg_ParseTuple(args, format, &offset, &csize, &size, &sha, &name))
        return -1;
    char line[MAX_SONAME + 200];
    snprintf(line, sizeof line, "zstd %llu %llu %llu %s %s", offset, csize, size, sha, name);
    struct stat st;
    static const unsigned char zst[4] = {0x28, 0xb5, 0x2f, 0xfd};
    unsigned char magic4[4];
    if (parse_boot_line(line, l) < 0 || fstat(g_self_fd, &st) < 0 ||
        l->csize > (uint64_t)st.st_size || l->offset > (uint64_t)st.st_size - l->csize ||
        l->csize < 4 || l->size == 0 || pread_all(g_self_fd, magic4, 4, l->offset) < 0 ||
        memcmp(magic4, zst, 4) != 0) {
        p_PyErr_SetString(*p_PyExc_ValueError, "not a zstd entry of this executable");
        return -1;
    }
    return 0;
}

/* _freezer_boot.unpack(offset, csize, size, sha256, name) -> path: the same decompression as
 * for the boot libraries, for any stored entry of our file that holds zstd frames (e.g. an
 * extension module), so the runtime can ship native files compressed and still load them by
 * path.  A damaged entry ends the process as a damaged executable, as at start-up. */
static PyObject *boot_unpack(PyObject *module, PyObject *args)
{
    (void)module;
    struct lib l;
    if (zstd_entry_arg(args, "KKKss:unpack", &l) < 0)
        return NULL;
    char path[PATH_MAX];
    const char *why = NULL;
    lift_fsize();
    const char *done = unpacked_path(g_self_fd, &l, path, &why);
    restore_fsize();
    if (!done) {
        p_PyErr_SetString(*p_PyExc_OSError, why ? why : "cannot write the native cache");
        return NULL;
    }
    return p_PyUnicode_DecodeFSDefault(path);
}

/* _freezer_boot.map(offset, csize, size, sha256, name) -> memoryview: a zstd entry of our
 * file decompressed as unpack() does it, read-only, for the life of the process.  The module
 * store (runtime/store.py) is read through it: a warm start maps the verified copy in the
 * cache, one mmap for all the modules it holds; a first start, or one without a usable
 * cache, decompresses into memory (writing the copy to the cache when it can). */
static PyObject *boot_map(PyObject *module, PyObject *args)
{
    (void)module;
    struct lib l;
    if (zstd_entry_arg(args, "KKKss:map", &l) < 0)
        return NULL;
    const char *why = NULL;
    lift_fsize();
    int dir = native_dir(l.sha, &why);
    int fd = dir >= 0 ? open_verified(dir, l.soname, l.size, l.sha, 1) : -1;
    void *p = MAP_FAILED;
    if (fd >= 0) {
        p = mmap(NULL, l.size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
    }
    if (p == MAP_FAILED) {
        char hex[65];
        unsigned char *data = unpack(g_self_fd, &l, dir >= 0 ? hex : NULL);
        if (dir >= 0 && (fd = store(dir, &l, data, hex)) >= 0)
            close(fd);
        mprotect(data, l.size, PROT_READ);
        p = data; /* kept: the store is read for as long as the process runs */
    }
    restore_fsize();
    if (dir >= 0)
        close(dir);
    return p_PyMemoryView_FromMemory((char *)p, (Py_ssize_t)l.size, PyBUF_READ);
}

/* _freezer_boot.cache_root() -> the path of the checked cache root, or OSError saying why
 * there is none: the runtime keeps its trees and bytecode there, under the same rules
 * (runtime/trees.py), so the rule for where the cache is has one home at run time. */
static PyObject *boot_cache_root(PyObject *module, PyObject *unused)
{
    (void)module, (void)unused;
    const char *why;
    if (cache_root_fd(&why) < 0) {
        p_PyErr_SetString(*p_PyExc_OSError, why);
        return NULL;
    }
    return p_PyUnicode_DecodeFSDefault(g_cache.path);
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
/* Reading our own file after start-up: zipimport opens its archive by path for every read   */
/* (io.open_code), which breaks, or reads another file's bytes at this file's offsets, once  */
/* the binary is replaced or deleted while it runs (an upgrade).  This hook turns an open of */
/* our own path into an open of /proc/self/fd/N: a new open file of the very file we checked */
/* at start, still there for as long as we hold it.                                          */

static char g_self_fd_path[64];

static PyObject *open_code_hook(PyObject *path, void *unused)
{
    (void)unused;
    static PyObject *self_obj;
    PyObject *io = p_PyImport_ImportModule("_io");
    if (!io)
        return NULL;
    if (!self_obj)
        self_obj = p_PyUnicode_DecodeFSDefault(g_self); /* kept for the process's life */
    PyObject *own = NULL;
    if (self_obj && g_self_fd_path[0] && p_PyUnicode_Compare(path, self_obj) == 0)
        own = p_PyUnicode_DecodeFSDefault(g_self_fd_path);
    PyObject *f = p_PyObject_CallMethod(io, "open", "Os", own ? own : path, "rb");
    if (own)
        p_Py_DecRef(own);
    p_Py_DecRef(io);
    return f;
}

static void read_self_by_fd(int fd)
{
    snprintf(g_self_fd_path, sizeof g_self_fd_path, "/proc/self/fd/%d", fd);
    if (access(g_self_fd_path, R_OK) != 0)
        g_self_fd_path[0] = '\0'; /* no /proc: by path, as zipimport would */
    if (p_PyFile_SetOpenCodeHook(open_code_hook, NULL) != 0)
        fail("cannot install the open_code hook");
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

static void init_python(int argc, char **argv, const char *self)
{
    PyPreConfig pre;
    p_PyPreConfig_InitIsolatedConfig(&pre);
    /* UTF-8 regardless of locale: a frozen program must not break under LANG=C. */
    FZ_PRECONFIG_INT(&pre, utf8_mode) = 1;
    /* Still set LC_CTYPE from the environment as `python -I` does (the isolated preset
     * leaves the C locale), so curses, readline and C extensions see the user's locale. */
    FZ_PRECONFIG_INT(&pre, configure_locale) = 1;
    /* And coerce a legacy C/POSIX LC_CTYPE to C.UTF-8 (PEP 538) as `python -I` does, which
     * also sets LC_CTYPE in the environment the program and its children see; the isolated
     * preset turns that off. -1: decided by the locale, as python's own preset leaves it. */
    FZ_PRECONFIG_INT(&pre, coerce_c_locale) = -1;
    FZ_PRECONFIG_INT(&pre, coerce_c_locale_warn) = -1;
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
    check(p_PyConfig_SetBytesArgv(&c, argc, argv), &c);
    check(p_PyConfig_SetBytesString(&c, &FZ_CONFIG_WSTR(&c, executable), self), &c);
    check(p_PyConfig_SetString(&c, &FZ_CONFIG_WSTR(&c, base_executable),
                                 FZ_CONFIG_WSTR(&c, executable)), &c);

    /* With home, the prefixes and the search path all given, the path calculation has
     * nothing to look for: no <exe>._pth, pyvenv.cfg or build-tree landmark is probed. */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", self);
    char *slash = strrchr(dir, '/'); /* there is one: /proc/self/exe is absolute */
    *(slash == dir ? slash + 1 : slash) = '\0';
    check(p_PyConfig_SetBytesString(&c, &FZ_CONFIG_WSTR(&c, home), dir), &c);
    const wchar_t *home = FZ_CONFIG_WSTR(&c, home);
    check(p_PyConfig_SetString(&c, &FZ_CONFIG_WSTR(&c, prefix), home), &c);
    check(p_PyConfig_SetString(&c, &FZ_CONFIG_WSTR(&c, exec_prefix), home), &c);
    check(p_PyConfig_SetString(&c, &FZ_CONFIG_WSTR(&c, base_prefix), home), &c);
    check(p_PyConfig_SetString(&c, &FZ_CONFIG_WSTR(&c, base_exec_prefix), home), &c);
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
    if (keyboard_interrupt) {
        /* Die by SIGINT so the parent (a shell loop, make) knows we were interrupted. */
        signal(SIGINT, SIG_DFL);
        kill(getpid(), SIGINT);
        return 128 + SIGINT; /* only if SIGINT is blocked */
    }
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
static int open_self(char self[PATH_MAX])
{
    ssize_t n = readlink("/proc/self/exe", self, PATH_MAX);
    if (n > 0 && n < PATH_MAX) {
        self[n] = '\0';
    } else {
        const char *execfn = (const char *)getauxval(AT_EXECFN);
        if (!execfn || !realpath(execfn, self))
            fail("cannot find its own file: no /proc/self/exe, and %s",
                 execfn ? strerror(errno) : "no AT_EXECFN");
    }
    g_self = self;
    int fd = above_stdio(open(n > 0 && n < PATH_MAX ? "/proc/self/exe" : self,
                              O_RDONLY | O_CLOEXEC));
    if (fd < 0)
        fail("cannot open itself: %s", strerror(errno));
    return fd;
}

int main(int argc, char **argv)
{
    static char self[PATH_MAX];
    if (argc > 0 && argv[0])
        g_self = argv[0];
    g_secure = (int)getauxval(AT_SECURE);
    int fd = open_self(self);

    size_t count;
    uint64_t covered = 0;
    char sha[65];
    struct lib *libs = read_boot_table(fd, &count, &covered, sha);
    lift_fsize();
    verify_self(fd, covered, sha);
    prefetch(fd, &libs[count - 1]);
    void *py = NULL;
    for (size_t i = 0; i < count; i++)
        py = load_lib(fd, &libs[i]); /* the last one is libpython */
    verify_self_end();
    restore_fsize();
    g_self_fd = fd; /* kept for _freezer_boot.unpack() */
    free(libs);

    resolve_api(py);
    install_frozen(py, fd);
    read_self_by_fd(fd);
    init_python(argc, argv, self);
    frozen_after_start();
    return run_python();
}
