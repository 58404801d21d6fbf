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
 * It is compiled per target CPython only because PyConfig's layout differs per version.
 */
#define _GNU_SOURCE 1 /* memfd_create; pyconfig.h defines it the same way */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dlfcn.h>
#include <errno.h>
/* Linked statically (libzstd.a), so the bootloader needs nothing on the target; that is also
 * what makes the "static linking only" API (a stable output buffer) safe to use. */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
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
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#define EOCD_SIZE 22                  /* zip end-of-central-directory record, sans comment */
#define EOCD_SEARCH (65535 + EOCD_SIZE) /* the comment length is 16 bits */
#define MAX_SONAME 200

static const char *g_self = "freezer"; /* our path, for error messages */
static int g_self_fd = -1;            /* our own file, open for the life of the process */

/* ---------------------------------------------------------------------------------------- */
/* Errors: one line on stderr and status 126 (the shell's "found but cannot execute").      */

__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "freezer: %s: %s\n", g_self, msg);
    exit(126);
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
 * the file before checking it against the file's real size. */
static struct lib *read_boot_table(int fd, size_t *count)
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
    unsigned char sig[4];
    if (!zip64 && entries > 0 &&
        (cd_size > eocd_pos || cd_off != eocd_pos - cd_size ||
         pread_all(fd, sig, 4, eocd_pos - cd_size) < 0 || memcmp(sig, "PK\1\2", 4) != 0))
        damaged("bad zip central directory");
    char *text = (char *)tail + at + EOCD_SIZE;
    text[clen] = '\0';

    static const char magic[] = "FREEZER1\n";
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
    for (; p < end; i++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            damaged("boot table: unterminated line");
        *nl = '\0';
        if (parse_boot_line(p, &libs[i]) < 0)
            damaged("boot table: bad line %zu", i + 2);
        p = nl + 1;
    }
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

static void *dlopen_global(const char *path)
{
    return dlopen(path, RTLD_NOW | RTLD_GLOBAL);
}

static int no_memfd(void)
{
    const char *v = getenv("FREEZER_NO_MEMFD");
    return v && strcmp(v, "1") == 0;
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
    /* Populated up front: one call instead of a page fault per 4 KiB as it fills. */
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

/* Preferred for a stored library: an anonymous in-memory file, so nothing is ever written to
 * disk.  `data` is the library's bytes when they are already in memory (decompressed), else
 * NULL and they are copied from our own file in the kernel. */
static void *load_from_memfd(int self, const struct lib *l, const unsigned char *data)
{
    int fd = above_stdio(memfd_create(l->soname, MFD_CLOEXEC));
    if (fd < 0)
        return NULL;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int copied = data ? write_all(fd, data, l->size) : copy_range(self, l->offset, l->size, fd);
    void *h = copied == 0 ? dlopen_global(path) : NULL;
    /* On success the fd stays open for the life of the process: glibc recognises loaded
     * libraries by path string, so a later memfd reusing this number would alias it. */
    if (!h)
        close(fd);
    return h;
}

/* Must match freezer.bootloader.cache_root() on the build side. */
static int cache_root(char *buf, size_t cap)
{
    const char *v = getenv("FREEZER_CACHE_DIR");
    if (v && *v)
        return snprintf(buf, cap, "%s", v) < (int)cap;
    v = getenv("XDG_CACHE_HOME");
    if (v && *v == '/') /* the XDG spec says to ignore relative values */
        return snprintf(buf, cap, "%s/freezer", v) < (int)cap;
    v = getenv("HOME");
    if (!v || !*v) {
        struct passwd *pw = getpwuid(getuid());
        v = pw ? pw->pw_dir : NULL;
    }
    return v && *v && snprintf(buf, cap, "%s/.cache/freezer", v) < (int)cap;
}

/* mkdir -p with mode 0700: the cache is per user and may hold code we run. */
static int make_dirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0700); /* errors surface below or at mkstemp */
            *p = '/';
        }
    }
    return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* <root>/native/<sha256>/<soname> into path (PATH_MAX bytes), leaving room for a temp-file
 * suffix; NULL and the reason when there is no usable cache root. */
static const char *cache_path(const struct lib *l, char *path)
{
    char root[PATH_MAX];
    if (!cache_root(root, sizeof root))
        return "no usable cache directory (set FREEZER_CACHE_DIR)";
    int n = snprintf(path, PATH_MAX, "%s/native/%s/%s", root, l->sha, l->soname);
    if (n < 0 || n >= PATH_MAX - 8) /* - 8: room for the temp file's suffix */
        return "cache directory path too long";
    return NULL;
}

static int cached_ok(const struct lib *l, const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == l->size;
}

/* Writes the library (its bytes in memory, whose SHA-256 is `hex`) to a temp file beside
 * `final` after checking that hash, then renames it into place: rename() is atomic, so racing
 * first runs never see a partial file.  Returns NULL, or why the cache cannot be written (a
 * SHA-256 mismatch is a damaged executable, not a cache problem). */
static const char *write_cache_file(const struct lib *l, const unsigned char *data,
                                    const char *hex, char *final)
{
    static char why[PATH_MAX + 64];
    char tmp[PATH_MAX];
    if (strcmp(hex, l->sha) != 0)
        damaged("%s: SHA-256 mismatch", l->soname);

    char *slash = strrchr(final, '/');
    *slash = '\0';
    int made = make_dirs(final);
    if (made < 0)
        snprintf(why, sizeof why, "cannot create %s: %s", final, strerror(errno));
    *slash = '/';
    if (made < 0)
        return why;
    strcat(strcpy(tmp, final), ".XXXXXX"); /* cache_path() left room for the suffix */
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, sizeof why, "cannot create %s: %s", tmp, strerror(errno));
        return why;
    }
    int bad = write_all(fd, data, l->size) < 0 || fchmod(fd, 0700) < 0;
    int err = errno;
    if (close(fd) < 0 && !bad)
        bad = 1, err = errno;
    if (!bad && rename(tmp, final) < 0)
        bad = 1, err = errno;
    if (bad) {
        unlink(tmp); /* never leave temp files behind */
        snprintf(why, sizeof why, "cannot write %s (%s)", final, strerror(err));
        return why;
    }
    return NULL;
}

/* Fallback for a stored library when a memfd cannot be made or loaded: the per-user,
 * content-addressed cache, written once and reused by every later run. */
static void *load_stored_from_cache(int self, const struct lib *l)
{
    char path[PATH_MAX];
    const char *why = cache_path(l, path);
    if (why)
        fail("%s", why);
    if (!cached_ok(l, path)) {
        void *base;
        size_t span;
        const unsigned char *data = map_range(self, l->offset, l->size, &base, &span);
        if (!data)
            fail("cannot map %s: %s", l->soname, strerror(errno));
        char hex[65];
        sha256_mem(data, l->size, hex);
        why = write_cache_file(l, data, hex, path);
        munmap(base, span);
        if (why)
            fail("%s", why);
    }
    void *h = dlopen_global(path);
    if (!h)
        fail("cannot load %s", dlerror());
    return h;
}

/* A compressed library: from the cache when it is there, else decompressed into the cache,
 * else (no writable cache) into a memfd. */
static void *load_compressed(int self, const struct lib *l)
{
    char path[PATH_MAX];
    const char *why = cache_path(l, path);
    if (!why && cached_ok(l, path)) {
        void *h = dlopen_global(path);
        if (!h)
            fail("cannot load %s", dlerror());
        return h;
    }
    char hex[65];
    unsigned char *data = unpack(self, l, why ? NULL : hex); /* hashed only for the cache */
    void *h = NULL;
    if (!why && !(why = write_cache_file(l, data, hex, path))) {
        if (!(h = dlopen_global(path)))
            fail("cannot load %s", dlerror());
    } else if (!no_memfd()) {
        h = load_from_memfd(self, l, data);
    }
    int err = errno;
    const char *dl = dlerror(); /* NULL unless the memfd's dlopen was what failed */
    munmap(data, l->size);
    if (!h)
        fail("cannot load %s: %s, and no memfd (%s)", l->soname, why,
             no_memfd() ? "FREEZER_NO_MEMFD=1" : dl ? dl : strerror(err));
    return h;
}

/* For _freezer_boot.unpack(): the path of a compressed native file, decompressed into the
 * cache (or, without a writable cache, into a memfd that stays open), without loading it.
 * NULL with the reason in `why_out` when neither can be written. */
static const char *unpacked_path(int self, const struct lib *l, char path[PATH_MAX],
                                 const char **why_out)
{
    const char *why = cache_path(l, path);
    if (!why && cached_ok(l, path))
        return path;
    char hex[65];
    unsigned char *data = unpack(self, l, why ? NULL : hex);
    const char *result = NULL;
    if (!why && !(why = write_cache_file(l, data, hex, path))) {
        result = path;
    } else if (!no_memfd()) {
        int fd = above_stdio(memfd_create(l->soname, MFD_CLOEXEC));
        if (fd >= 0 && write_all(fd, data, l->size) == 0) {
            snprintf(path, PATH_MAX, "/proc/self/fd/%d", fd); /* open for good, as above */
            result = path;
        } else if (fd >= 0) {
            close(fd);
        }
    }
    munmap(data, l->size);
    *why_out = why;
    return result;
}

static void *load_lib(int self, const struct lib *l)
{
    if (l->csize)
        return load_compressed(self, l);
    void *h = no_memfd() ? NULL : load_from_memfd(self, l, NULL);
    return h ? h : load_stored_from_cache(self, l);
}

/* ---------------------------------------------------------------------------------------- */
/* The CPython API, resolved at run time.  __typeof__ keeps every call type-checked against
 * the headers of the target version, exactly as if we were linked to it.                  */

#define PY_FUNCS(X)                                                                          \
    X(PyPreConfig_InitIsolatedConfig) X(Py_PreInitialize) X(PyStatus_Exception)              \
    X(Py_ExitStatusException) X(PyConfig_InitIsolatedConfig) X(PyConfig_SetBytesArgv)       \
    X(PyConfig_SetBytesString) X(PyConfig_SetString) X(PyWideStringList_Append)              \
    X(PyConfig_Clear) X(Py_InitializeFromConfig) X(Py_FinalizeEx) X(PyImport_AppendInittab) \
    X(PyModule_Create2) X(PyUnicode_FSConverter) X(PyBytes_AsString) X(PyErr_SetString)     \
    X(Py_IncRef) X(Py_DecRef) X(PyImport_ImportModule) X(PyObject_GetAttrString)            \
    X(PyObject_CallObject) X(PyObject_IsInstance) X(PyObject_Type)                          \
    X(PyException_GetTraceback) X(PyErr_GivenExceptionMatches) X(PyErr_Restore)             \
    X(PyErr_Print) X(PyArg_ParseTuple) X(PyUnicode_DecodeFSDefault)
/* Data symbols: dlsym gives the variable's address, so PyExc_* come out as PyObject ** (read
 * with '*' at each use) and _Py_NoneStruct as Py_None itself. */
#define PY_DATA(X)                                                                           \
    X(PyExc_ImportError) X(PyExc_TypeError) X(PyExc_BaseException) X(PyExc_KeyboardInterrupt) \
    X(PyExc_ValueError) X(PyExc_OSError) X(_Py_NoneStruct)

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

/* _freezer_boot.unpack(offset, csize, size, sha256, name) -> path: the same decompression as
 * for the boot libraries, for any stored entry of our file that holds zstd frames (e.g. an
 * extension module), so the runtime can ship native files compressed and still load them by
 * path.  A damaged entry ends the process as a damaged executable, as at start-up. */
static PyObject *boot_unpack(PyObject *module, PyObject *args)
{
    (void)module;
    unsigned long long offset, csize, size;
    const char *sha, *name;
    if (!p_PyArg_ParseTuple(args, "KKKss:unpack", &offset, &csize, &size, &sha, &name))
        return NULL;
    struct lib l = {.offset = offset, .csize = csize, .size = size};
    char line[MAX_SONAME + 200];
    /* The same checks as a boot-table line, so a bad argument cannot escape the cache. */
    snprintf(line, sizeof line, "zstd %llu %llu %llu %s %s", offset, csize, size, sha, name);
    struct stat st;
    static const unsigned char zst[4] = {0x28, 0xb5, 0x2f, 0xfd};
    unsigned char magic4[4];
    if (parse_boot_line(line, &l) < 0 || fstat(g_self_fd, &st) < 0 ||
        l.csize > (uint64_t)st.st_size || l.offset > (uint64_t)st.st_size - l.csize ||
        l.csize < 4 || pread_all(g_self_fd, magic4, 4, l.offset) < 0 ||
        memcmp(magic4, zst, 4) != 0) {
        p_PyErr_SetString(*p_PyExc_ValueError, "unpack: not a zstd entry of this executable");
        return NULL;
    }
    char path[PATH_MAX];
    const char *why = NULL;
    if (!unpacked_path(g_self_fd, &l, path, &why)) {
        p_PyErr_SetString(*p_PyExc_OSError, why ? why : "cannot write the native cache");
        return NULL;
    }
    return p_PyUnicode_DecodeFSDefault(path);
}

static PyMethodDef boot_methods[] = {
    {"dlopen", boot_dlopen, METH_O, "dlopen(path): load a shared library RTLD_NOW|RTLD_GLOBAL."},
    {"unpack", boot_unpack, METH_VARARGS,
     "unpack(offset, csize, size, sha256, name) -> path of the decompressed native file."},
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

static void init_python(int argc, char **argv, const char *self)
{
    PyPreConfig pre;
    p_PyPreConfig_InitIsolatedConfig(&pre);
    /* UTF-8 regardless of locale: a frozen program must not break under LANG=C. */
    pre.utf8_mode = 1;
    /* Still set LC_CTYPE from the environment as `python -I` does (the isolated preset
     * leaves the C locale), so curses, readline and C extensions see the user's locale. */
    pre.configure_locale = 1;
    check(p_Py_PreInitialize(&pre), NULL);

    if (p_PyImport_AppendInittab("_freezer_boot", boot_module_init) < 0)
        fail("cannot register _freezer_boot");

    PyConfig c;
    p_PyConfig_InitIsolatedConfig(&c); /* no environment variables, no user site */
    c.install_signal_handlers = 1;     /* Ctrl-C raises KeyboardInterrupt, SIGPIPE ignored */
    c.site_import = 0;
    c.write_bytecode = 0;
    c.user_site_directory = 0;
    c.parse_argv = 0; /* sys.argv is argv, untouched: the options belong to the program */
    c.pathconfig_warnings = 0;
    c.buffered_stdio = 1;
#if PY_VERSION_HEX >= 0x030B0000
    c.use_frozen_modules = 1; /* else 3.11+ probes the disk for a source tree */
#endif
    check(p_PyConfig_SetBytesArgv(&c, argc, argv), &c);
    check(p_PyConfig_SetBytesString(&c, &c.executable, self), &c);
    check(p_PyConfig_SetString(&c, &c.base_executable, c.executable), &c);

    /* With home, the prefixes and the search path all given, the path calculation has
     * nothing to look for: no <exe>._pth, pyvenv.cfg or build-tree landmark is probed. */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", self);
    char *slash = strrchr(dir, '/'); /* there is one: /proc/self/exe is absolute */
    *(slash == dir ? slash + 1 : slash) = '\0';
    check(p_PyConfig_SetBytesString(&c, &c.home, dir), &c);
    check(p_PyConfig_SetString(&c, &c.prefix, c.home), &c);
    check(p_PyConfig_SetString(&c, &c.exec_prefix, c.home), &c);
    check(p_PyConfig_SetString(&c, &c.base_prefix, c.home), &c);
    check(p_PyConfig_SetString(&c, &c.base_exec_prefix, c.home), &c);
    /* Everything is imported from our own file by zipimport. */
    c.module_search_paths_set = 1;
    check(p_PyWideStringList_Append(&c.module_search_paths, c.executable), &c);

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

static int run_python(void)
{
    PyObject *res = NULL, *rt = p_PyImport_ImportModule("_freezer_runtime");
    if (rt) {
        PyObject *run = p_PyObject_GetAttrString(rt, "run");
        if (run) {
            res = p_PyObject_CallObject(run, NULL);
            p_Py_DecRef(run);
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

int main(int argc, char **argv)
{
    static char self[PATH_MAX];
    if (argc > 0 && argv[0])
        g_self = argv[0];
    /* /proc/self/exe rather than argv[0]: argv[0] may be a bare name found on $PATH, a
     * symlink, or anything the caller chose. */
    ssize_t n = readlink("/proc/self/exe", self, sizeof self);
    if (n <= 0 || n == (ssize_t)sizeof self)
        fail("cannot read /proc/self/exe: %s", n < 0 ? strerror(errno) : "bad link");
    self[n] = '\0';
    g_self = self;
    int fd = above_stdio(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    if (fd < 0)
        fail("cannot open /proc/self/exe: %s", strerror(errno));

    size_t count;
    struct lib *libs = read_boot_table(fd, &count);
    void *py = NULL;
    for (size_t i = 0; i < count; i++)
        py = load_lib(fd, &libs[i]); /* the last one is libpython */
    g_self_fd = fd; /* kept for _freezer_boot.unpack() */
    free(libs);

    resolve_api(py);
    init_python(argc, argv, self);
    return run_python();
}
