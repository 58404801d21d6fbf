/*
 * Fuzz target: how the bootloader reads its own file, i.e. read_boot_table() and
 * parse_boot_line() of freezer/bootloader/boot.c, which is compiled here whole.
 *
 * With FREEZER_FUZZ, boot.c's fail() longjmps to freezer_fuzz_exit instead of printing
 * "damaged executable" and exiting, so every input comes back here.  Besides the memory and
 * undefined-behaviour errors the sanitizers catch, every table read_boot_table() accepts is
 * checked against what this file works out from the input on its own (the zip end record, the
 * grammar of the boot table, the bounds and magic bytes of each library); a mismatch is a
 * __builtin_trap(), so logic bugs are found too, not only crashes.
 *
 * Two builds (tests/fuzz/run.sh does both, tests/test_fuzz_boot.py the second):
 *   libFuzzer:  clang -fsanitize=fuzzer,address,undefined ...
 *   standalone: cc -DSTANDALONE_DRIVER -fsanitize=address,undefined ..., a small mutator of its
 *               own, so that a short run needs nothing but gcc:
 *       boot_table_fuzz FILE...      replays each file, one line of outcome per file
 *       boot_table_fuzz --iterations N [--seed S] [--seconds T] [--crash-dir D] SEED_DIR
 *                                    N mutations of the seeds in SEED_DIR (stops after T s)
 * Both need the CPython headers (-I<include>/python3.x) and libzstd.a, -ldl -pthread.
 */
#define FREEZER_FUZZ 1

/* Which check rejected an input: fail()'s format string, caught on its way into va_start
 * (boot.c's only variadic function).  stdarg.h is the compiler's own header, so including it
 * before boot.c does not disturb boot.c's feature macros; its include guard keeps the later
 * includes from redefining va_start.  Only the standalone driver's statistics use it. */
#include <stdarg.h>
static const char *fuzz_reason;
#undef va_start
#define va_start(ap, last) (fuzz_reason = (last), __builtin_va_start(ap, last))

/* read_boot_table() calloc()s its table, and when a later check fails it longjmps out with the
 * table still allocated: the real program exits there, the fuzzer would leak it on every such
 * input (and run out of memory in a long run).  Its calloc is routed through fuzz_calloc()
 * below, which remembers the block, so a rejected input's table is freed here. */
#define calloc fuzz_calloc
#define main freezer_boot_main
#include "../../freezer/bootloader/boot.c"
#undef main
#undef calloc
void *calloc(size_t n, size_t size); /* stdlib.h declared it under the other name */

jmp_buf freezer_fuzz_exit;

static void *fuzz_table; /* the last block read_boot_table() allocated */

void *fuzz_calloc(size_t n, size_t size)
{
    return fuzz_table = calloc(n, size);
}

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "boot_table fuzz: invariant violated: %s (%s:%d)\n", #cond,     \
                    __FILE__, __LINE__);                                                     \
            __builtin_trap();                                                                \
        }                                                                                    \
    } while (0)

/* ---------------------------------------------------------------------------------------- */
/* The format, restated from the zip specification and docs/design.md, not from boot.c.     */

#define END_RECORD 22                     /* zip end-of-central-directory record */
#define END_WINDOW (65535u + END_RECORD) /* where it can be: its comment has a 16-bit length */
#define SHA_LINE 72                       /* "sha256 " + 64 hex digits + "\n" */

static const uint8_t ELF_MAGIC[4] = {0x7f, 'E', 'L', 'F'};
static const uint8_t ZSTD_MAGIC[4] = {0x28, 0xb5, 0x2f, 0xfd};

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The position of the end record a reader must take: the last "PK\5\6" in the file's final
 * END_WINDOW bytes whose comment runs exactly to the end of the file; -1 if there is none. */
static long long end_record(const uint8_t *d, size_t size)
{
    if (size < END_RECORD)
        return -1;
    size_t low = size > END_WINDOW ? size - END_WINDOW : 0;
    for (size_t at = size - END_RECORD + 1; at-- > low;) {
        size_t comment = (size_t)d[at + 20] | (size_t)d[at + 21] << 8;
        if (memcmp(d + at, "PK\5\6", 4) == 0 && at + END_RECORD + comment == size)
            return (long long)at;
    }
    return -1;
}

static int hex64(const char *s)
{
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* 1 to 19 decimal digits (so no 64-bit overflow) at *p, which is moved past them. */
static int spec_number(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9' && n < 20)
        v = v * 10 + (uint64_t)(s[n++] - '0');
    if (n == 0 || n > 19)
        return 0;
    *out = v;
    *p = s + n;
    return 1;
}

/* The grammar of one boot-table line, written out independently of parse_boot_line():
 *   "boot" SP offset SP size SP sha256 SP soname
 *   "zstd" SP offset SP csize SP size SP sha256 SP soname      (csize > 0)
 * sha256 is 64 lowercase hex digits; soname is 1-200 printable non-space ASCII characters
 * other than '/', and neither "." nor "..". */
static int spec_line(const char *p, struct lib *l)
{
    int zstd = strncmp(p, "zstd ", 5) == 0;
    if (!zstd && strncmp(p, "boot ", 5) != 0)
        return 0;
    p += 5;
    memset(l, 0, sizeof *l);
    if (!spec_number(&p, &l->offset) || *p++ != ' ')
        return 0;
    if (zstd && (!spec_number(&p, &l->csize) || *p++ != ' ' || l->csize == 0))
        return 0;
    if (!spec_number(&p, &l->size) || *p++ != ' ')
        return 0;
    if (!hex64(p) || p[64] != ' ')
        return 0;
    memcpy(l->sha, p, 64);
    p += 65;
    size_t n = strlen(p);
    if (n < 1 || n > 200 || strcmp(p, ".") == 0 || strcmp(p, "..") == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] <= ' ' || p[i] > '~' || p[i] == '/')
            return 0;
    memcpy(l->soname, p, n + 1);
    return 1;
}

/* A struct lib that boot.c filled in must be one the grammar gives for the same line. */
static void check_same(const struct lib *got, const struct lib *want)
{
    CHECK(got->offset == want->offset);
    CHECK(got->csize == want->csize);
    CHECK(got->size == want->size);
    CHECK(memchr(got->sha, '\0', sizeof got->sha) == got->sha + 64);
    CHECK(strcmp(got->sha, want->sha) == 0);
    CHECK(memchr(got->soname, '\0', sizeof got->soname) != NULL);
    CHECK(strcmp(got->soname, want->soname) == 0);
    /* What the cache relies on, said once more in so many words: one plain path component. */
    CHECK(got->soname[0] != '\0' && strchr(got->soname, '/') == NULL);
    CHECK(strcmp(got->soname, ".") != 0 && strcmp(got->soname, "..") != 0);
}

/* Everything that must hold of an input read_boot_table() accepted. */
static void check_table(const uint8_t *d, size_t size, const struct lib *libs, size_t count,
                        uint64_t covered, const char sha[65])
{
    long long found = end_record(d, size);
    CHECK(found >= 0);
    size_t at = (size_t)found, clen = size - at - END_RECORD;
    const uint8_t *r = d + at;
    const char *text = (const char *)r + END_RECORD, *end = text + clen;

    /* zipimport trusts the central directory: unless the record has zip64 markers or no
     * entries, it must end where the end record starts and begin with a directory entry. */
    uint32_t cd_size = get32(r + 12), cd_off = get32(r + 16);
    unsigned entries = (unsigned)r[10] | (unsigned)r[11] << 8;
    if (entries != 0 && entries != 0xffff && cd_size != 0xffffffffu && cd_off != 0xffffffffu) {
        CHECK((uint64_t)cd_off + cd_size == at);
        CHECK(memcmp(d + cd_off, "PK\1\2", 4) == 0);
    }

    /* The comment: "FREEZER2\n", one line per library, "sha256 <hex>\n" last, all of it
     * printable ASCII (so no zip reader can find another end record inside it). */
    CHECK(clen >= 9 + SHA_LINE && memcmp(text, "FREEZER2\n", 9) == 0);
    size_t lines = 0;
    for (size_t i = 0; i < clen; i++) {
        CHECK(text[i] == '\n' || (text[i] >= ' ' && text[i] <= '~'));
        lines += text[i] == '\n';
    }
    const char *sha_line = end - SHA_LINE;
    CHECK(sha_line[-1] == '\n' && memcmp(sha_line, "sha256 ", 7) == 0 && end[-1] == '\n');
    CHECK(hex64(sha_line + 7));
    CHECK(memchr(sha, '\0', 65) == sha + 64 && memcmp(sha, sha_line + 7, 64) == 0);
    /* The checksum covers every byte before its digits: all of the file but the last 65. */
    CHECK(covered == size - 65 && covered < size);

    /* One library per line in between, each exactly what its line says. */
    CHECK(count >= 1 && count == lines - 2);
    const char *p = text + 9;
    for (size_t k = 0; k < count; k++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        CHECK(nl != NULL && nl < sha_line);
        char line[512];
        size_t len = (size_t)(nl - p);
        CHECK(len < sizeof line);
        memcpy(line, p, len);
        line[len] = '\0';
        struct lib want;
        CHECK(spec_line(line, &want));
        check_same(&libs[k], &want);
        p = nl + 1;
    }
    CHECK(p == sha_line);

    for (size_t k = 0; k < count; k++) {
        const struct lib *l = &libs[k];
        for (size_t j = 0; j < k; j++)
            CHECK(strcmp(libs[j].soname, l->soname) != 0);
        /* The bytes loaded are inside the file, before the end record, and start as they
         * should: offset + stored <= end record < file size. */
        uint64_t stored = l->csize ? l->csize : l->size;
        CHECK(stored >= 4);
        CHECK(l->offset <= at && stored <= at - l->offset);
        CHECK(l->offset + stored <= size);
        CHECK(memcmp(d + l->offset, l->csize ? ZSTD_MAGIC : ELF_MAGIC, 4) == 0);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* One input.                                                                               */

/* A memfd holding the input, reused from one input to the next. */
static int input_fd(const uint8_t *data, size_t size)
{
    static int fd = -1;
    if (fd < 0 && (fd = memfd_create("boot-table-fuzz", MFD_CLOEXEC)) < 0) {
        perror("boot_table fuzz: memfd_create");
        abort();
    }
    if (ftruncate(fd, (off_t)size) < 0) {
        perror("boot_table fuzz: ftruncate");
        abort();
    }
    for (size_t done = 0; done < size;) {
        ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
        if (n <= 0) {
            perror("boot_table fuzz: pwrite");
            abort();
        }
        done += (size_t)n;
    }
    return fd;
}

/* read_boot_table(), or NULL when it rejected the input (fail() longjmps back here). */
static struct lib *try_read(int fd, size_t *count, uint64_t *covered, char sha[65])
{
    if (setjmp(freezer_fuzz_exit) != 0)
        return NULL;
    return read_boot_table(fd, count, covered, sha);
}

/* Runs both targets; returns the number of libraries read_boot_table() accepted, or -1 when
 * it rejected the input (the check that did is then in fuzz_reason). */
static long fuzz_one(const uint8_t *data, size_t size)
{
    size_t count = 0;
    uint64_t covered = 0;
    char sha[65];
    fuzz_reason = NULL;
    fuzz_table = NULL;
    struct lib *libs = try_read(input_fd(data, size), &count, &covered, sha);
    if (libs) {
        check_table(data, size, libs, count, covered, sha);
        free(libs);
    } else {
        free(fuzz_table);
    }
    fuzz_table = NULL;

    /* The whole input as one line (up to its first NUL): a line boot.c accepts is one the
     * grammar accepts, with the same fields, and the other way round. */
    char *line = malloc(size + 1);
    if (!line)
        abort();
    memcpy(line, data, size);
    line[size] = '\0';
    struct lib got, want;
    memset(&got, 0, sizeof got);
    int ok = parse_boot_line(line, &got) == 0;
    CHECK(ok == spec_line(line, &want));
    if (ok)
        check_same(&got, &want);
    free(line);
    return libs ? (long)count : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_one(data, size);
    return 0;
}

#ifdef STANDALONE_DRIVER
/* ---------------------------------------------------------------------------------------- */
/* The standalone driver: replay, or random mutations of a seed directory.                  */

#define FUZZ_MAX_INPUT (1u << 20)
#define MAX_SEEDS 512
#define MAX_KEPT 64 /* accepted mutants kept as further bases */

struct input {
    uint8_t *data;
    size_t len;
};

static int read_file(const char *path, struct input *in)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > FUZZ_MAX_INPUT) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    in->len = (size_t)st.st_size;
    in->data = malloc(in->len ? in->len : 1);
    if (!in->data || (in->len && pread_all(fd, in->data, in->len, 0) < 0)) {
        free(in->data);
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* splitmix64 */
static uint64_t g_rng;
static uint64_t rnd(void)
{
    uint64_t z = (g_rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static size_t below(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

struct buf {
    uint8_t *p;
    size_t len, cap;
};

/* Where the comment of the last end-record signature starts, or 0 without one. */
static size_t comment_start(const struct buf *b)
{
    if (b->len < END_RECORD)
        return 0;
    size_t low = b->len > END_WINDOW ? b->len - END_WINDOW : 0;
    for (size_t at = b->len - END_RECORD + 1; at-- > low;)
        if (memcmp(b->p + at, "PK\5\6", 4) == 0)
            return at + END_RECORD;
    return 0;
}

/* A position in [0, len), or [0, len] with `end`: mostly in the comment or near the end of
 * the file, where the end record and the boot table are. */
static size_t pick_pos(const struct buf *b, int end)
{
    size_t n = b->len + (end ? 1 : 0), c;
    if (n == 0)
        return 0;
    size_t how = below(4);
    if (how < 2 && (c = comment_start(b)) > 0 && c < n)
        return c + below(n - c);
    if (how < 3)
        return n - 1 - below(n < 300 ? n : 300);
    return below(n);
}

static void insert(struct buf *b, size_t pos, const void *src, size_t n)
{
    static uint8_t scratch[FUZZ_MAX_INPUT]; /* src may be inside b */
    if (pos > b->len)
        pos = b->len;
    if (n > b->cap - b->len)
        n = b->cap - b->len;
    memcpy(scratch, src, n);
    memmove(b->p + pos + n, b->p + pos, b->len - pos);
    memcpy(b->p + pos, scratch, n);
    b->len += n;
}

static void erase(struct buf *b, size_t pos, size_t n)
{
    if (pos > b->len)
        pos = b->len;
    if (n > b->len - pos)
        n = b->len - pos;
    memmove(b->p + pos, b->p + pos + n, b->len - pos - n);
    b->len -= n;
}

static void put_le(struct buf *b, size_t pos, uint64_t v, size_t width)
{
    for (size_t i = 0; i < width && pos + i < b->len; i++)
        b->p[pos + i] = (uint8_t)(v >> (8 * i));
}

/* Makes the last end record's comment length run to the end of the file again, as after an
 * edit of the comment (otherwise almost every edit would only test "no zip end record"). */
static void fix_comment_length(struct buf *b)
{
    size_t c = comment_start(b);
    if (c >= END_RECORD && b->len - c <= 65535)
        put_le(b, c - 2, b->len - c, 2);
}

/* The runs of digits in the comment (or near the end of the file). */
struct run {
    size_t pos, len;
};

static size_t digit_runs(const struct buf *b, struct run *runs, size_t max)
{
    size_t c = comment_start(b), n = 0;
    if (c == 0 && b->len > 4096)
        c = b->len - 4096;
    for (size_t i = c; i < b->len && n < max;) {
        if (b->p[i] < '0' || b->p[i] > '9') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < b->len && b->p[j] >= '0' && b->p[j] <= '9')
            j++;
        runs[n].pos = i, runs[n].len = j - i, n++;
        i = j;
    }
    return n;
}

static uint64_t run_value(const struct buf *b, const struct run *r)
{
    uint64_t v = 0;
    for (size_t i = 0; i < r->len && i < 20; i++)
        v = v * 10 + (uint64_t)(b->p[r->pos + i] - '0');
    return v;
}

/* A number worth trying in place of one of the table's: the edges of the file and of 64
 * bits, the neighbours of the current value, and the value that makes offset + size land
 * exactly on the end record (and one past it). */
static void interesting_number(const struct buf *b, const struct run *runs, size_t nruns,
                               const struct run *which, char out[48])
{
    uint64_t cur = run_value(b, which), eocd = 0, v;
    size_t c = comment_start(b);
    if (c >= END_RECORD)
        eocd = c - END_RECORD;
    int64_t delta = (int64_t)below(5) - 2;
    switch (below(12)) {
    case 0: {
        static const uint64_t edges[] = {0, 1, 3, 4, 5, 21, 22, 4294967295ull, 4294967296ull,
                                         9223372036854775807ull, 9223372036854775808ull,
                                         18446744073709551615ull, 9999999999999999999ull};
        v = edges[below(sizeof edges / sizeof *edges)];
        break;
    }
    case 1:
        snprintf(out, 48, "1%019u", 0u); /* 20 digits */
        return;
    case 2:
        snprintf(out, 48, "%0*llu", (int)(2 + below(19)), (unsigned long long)cur);
        return; /* leading zeros */
    case 3:
    case 4:
        v = eocd + (uint64_t)delta;
        break;
    case 5:
        v = (uint64_t)b->len + (uint64_t)delta;
        break;
    case 6:
    case 7: {
        /* eocd - (another number): for a size after its offset, the exact end */
        const struct run *other = &runs[below(nruns)];
        v = eocd - run_value(b, other) + (uint64_t)delta;
        break;
    }
    case 8: { /* the position of a magic number in the file */
        size_t start = below(b->len), found = start;
        for (size_t i = 0; i + 4 <= b->len; i++) {
            size_t at = (start + i) % b->len;
            if (at + 4 <= b->len && (memcmp(b->p + at, ELF_MAGIC, 4) == 0 ||
                                     memcmp(b->p + at, ZSTD_MAGIC, 4) == 0)) {
                found = at;
                break;
            }
        }
        v = found + (uint64_t)delta;
        break;
    }
    case 9:
        v = rnd() >> below(64);
        break;
    default:
        v = cur + (uint64_t)delta;
        break;
    }
    snprintf(out, 48, "%llu", (unsigned long long)v);
}

static const char *const TOKENS[] = {
    " ", "\n", "0", "9", "1", "/", ".", "..", "\r", "\t", "A", "f", "g", "x",
    "boot ", "zstd ", "sha256 ", "FREEZER2\n", "FREEZER1\n", "\n\n",
};

/* One line of the comment: its start and length, without the '\n'. */
static int pick_line(const struct buf *b, size_t *start, size_t *len)
{
    size_t c = comment_start(b);
    if (c == 0 || c >= b->len)
        return 0;
    size_t at = c + below(b->len - c);
    while (at > c && b->p[at - 1] != '\n')
        at--;
    size_t e = at;
    while (e < b->len && b->p[e] != '\n')
        e++;
    *start = at, *len = e - at;
    return 1;
}

static void mutate(struct buf *b, const struct input *pool, size_t npool)
{
    char text[256];
    struct run runs[64];
    size_t pos, n, start, len;
    switch (below(16)) {
    case 0: /* flip a bit */
        if (b->len)
            b->p[pick_pos(b, 0)] ^= (uint8_t)(1u << below(8));
        break;
    case 1: /* set a byte */
        if (b->len) {
            static const uint8_t bytes[] = {0, 0xff, 0x7f, 0x80, '\n', ' ', '0', '9', '/',
                                            '.', 'a', 'f', 'g', 5, 6, 'P', 'K'};
            b->p[pick_pos(b, 0)] = below(2) ? (uint8_t)rnd() : bytes[below(sizeof bytes)];
        }
        break;
    case 2: { /* an interesting 2- or 4-byte value, often into an end record field */
        static const uint32_t values[] = {0, 1, 0xff, 0xffff, 0x7fffffff, 0x80000000u,
                                          0xffffffffu, 22, 0x10000};
        static const size_t fields[] = {8, 10, 12, 16, 20};
        size_t c = comment_start(b);
        uint64_t v = below(3) ? values[below(sizeof values / sizeof *values)]
                              : (c >= END_RECORD ? c - END_RECORD : b->len) + below(3) - 1;
        if (c >= END_RECORD && below(2)) {
            size_t f = fields[below(5)];
            put_le(b, c - END_RECORD + f, v, f == 12 || f == 16 ? 4 : 2);
        } else if (b->len) {
            put_le(b, pick_pos(b, 0), v, below(2) ? 4 : 2);
        }
        break;
    }
    case 3: /* truncate, from the end or (as a file's tail) from the front */
        if (below(3))
            b->len = pick_pos(b, 1);
        else
            erase(b, 0, below(b->len + 1));
        break;
    case 4: /* delete a few bytes */
        if (b->len) {
            pos = pick_pos(b, 0);
            erase(b, pos, 1 + below(below(2) ? 4 : 80));
        }
        break;
    case 5:
    case 6: /* insert digits, spaces, newlines, keywords */
        pos = pick_pos(b, 1);
        switch (below(4)) {
        case 0:
            n = 1 + below(21);
            for (size_t i = 0; i < n; i++)
                text[i] = (char)('0' + below(10));
            break;
        case 1:
            n = 63 + below(3);
            for (size_t i = 0; i < n; i++)
                text[i] = "0123456789abcdef"[below(16)];
            break;
        default: {
            const char *t = TOKENS[below(sizeof TOKENS / sizeof *TOKENS)];
            n = strlen(t);
            memcpy(text, t, n);
            break;
        }
        }
        if (below(8) == 0)
            text[below(n)] = '\0';
        insert(b, pos, text, n);
        if (below(4))
            fix_comment_length(b);
        break;
    case 7:
    case 8: /* rewrite a number of the table */
        if ((n = digit_runs(b, runs, 64)) > 0) {
            const struct run *r = &runs[below(n)];
            interesting_number(b, runs, n, r, text);
            erase(b, r->pos, r->len);
            insert(b, r->pos, text, strlen(text));
            if (below(8))
                fix_comment_length(b);
        }
        break;
    case 9: /* duplicate or delete a line of the table */
        if (pick_line(b, &start, &len)) {
            if (below(2))
                insert(b, start, b->p + start, len < b->len - start ? len + 1 : len);
            else
                erase(b, start, len + 1);
            if (below(8))
                fix_comment_length(b);
        }
        break;
    case 10: { /* give a line another name: the cases of a plain path component */
        if (!pick_line(b, &start, &len) || len == 0)
            break;
        size_t sp = start + len;
        while (sp > start && b->p[sp - 1] != ' ')
            sp--;
        static const char *const names[] = {".", "..", "a/b", "/", "", "libc.so.6", ".hidden"};
        size_t k = below(10);
        if (k < 7) {
            n = strlen(names[k]);
            memcpy(text, names[k], n);
        } else {
            n = k == 7 ? 200 : k == 8 ? 201 : 1 + below(255);
            memset(text, 'x', n);
        }
        erase(b, sp, start + len - sp);
        insert(b, sp, text, n);
        fix_comment_length(b);
        break;
    }
    case 11: /* magic bytes, at a random place or where a number of the table points */
        if (b->len >= 4) {
            static const uint8_t *const magics[] = {ELF_MAGIC, ZSTD_MAGIC,
                                                    (const uint8_t *)"PK\5\6",
                                                    (const uint8_t *)"PK\1\2"};
            pos = pick_pos(b, 0);
            if (below(2) && (n = digit_runs(b, runs, 64)) > 0) {
                uint64_t v = run_value(b, &runs[below(n)]);
                if (v < b->len)
                    pos = (size_t)v;
            }
            for (size_t i = 0; i < 4 && pos + i < b->len; i++)
                b->p[pos + i] = magics[below(4)][i];
        }
        break;
    case 12: { /* the comment length field, near its right value */
        size_t c = comment_start(b);
        if (c >= END_RECORD)
            put_le(b, c - 2, (uint64_t)(b->len - c) + below(5) - 2, 2);
        break;
    }
    case 13:
    case 14: { /* splice with another input */
        const struct input *o = &pool[below(npool)];
        struct buf ob = {o->data, o->len, o->len};
        size_t oc = comment_start(&ob);
        if (below(2) && oc >= END_RECORD) {
            /* this file up to its end record, with the other's end record and table */
            size_t c = comment_start(b);
            b->len = c >= END_RECORD ? c - END_RECORD : pick_pos(b, 1);
            insert(b, b->len, o->data + oc - END_RECORD, o->len - (oc - END_RECORD));
        } else {
            b->len = pick_pos(b, 1);
            size_t from = o->len ? below(o->len) : 0;
            insert(b, b->len, o->data + from, o->len - from);
        }
        if (below(2))
            fix_comment_length(b);
        break;
    }
    default: /* a byte range copied over another, as in a damaged file */
        if (b->len > 8) {
            size_t from = below(b->len), to = pick_pos(b, 0);
            n = 1 + below(16);
            if (from + n > b->len)
                n = b->len - from;
            if (to + n > b->len)
                n = b->len - to;
            memmove(b->p + to, b->p + from, n);
        }
        break;
    }
}

/* What is being run, for the crash handler. */
static const uint8_t *g_current;
static size_t g_current_len;
static unsigned long long g_seed, g_iteration;
static const char *g_crash_dir = ".";

static char *append_u64(char *p, unsigned long long v)
{
    char digits[24];
    int n = 0;
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) > 0);
    while (n > 0)
        *p++ = digits[--n];
    return p;
}

/* Saves the input being run when the process is about to die (a sanitizer report or a broken
 * invariant); only async-signal-safe calls. */
static void save_crash(void)
{
    static volatile sig_atomic_t saved;
    if (saved || !g_current)
        return;
    saved = 1;
    char path[PATH_MAX], *p = path;
    size_t dl = strlen(g_crash_dir);
    if (dl > PATH_MAX - 64)
        return;
    memcpy(p, g_crash_dir, dl);
    p += dl;
    memcpy(p, "/crash-", 7);
    p = append_u64(p + 7, g_seed);
    *p++ = '-';
    p = append_u64(p, g_iteration);
    *p = '\0';
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    for (size_t done = 0; done < g_current_len;) {
        ssize_t n = write(fd, g_current + done, g_current_len - done);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    close(fd);
    static const char msg[] = "boot_table fuzz: the input is saved as ";
    if (write(2, msg, sizeof msg - 1) < 0 || write(2, path, strlen(path)) < 0 ||
        write(2, "\n", 1) < 0)
        return;
}

static void on_fatal_signal(int sig)
{
    save_crash();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* The sanitizers' own hook, when they are linked in. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static void catch_crashes(void)
{
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(save_crash);
    /* Signals a sanitizer already handles are left to it: it reports, then calls back. */
    static const int sigs[] = {SIGILL, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGTRAP};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
            !(old.sa_flags & SA_SIGINFO))
            signal(sigs[i], on_fatal_signal);
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct tally {
    const char *reason;
    unsigned long long n;
};

static void count_reason(struct tally *t, size_t *nt, size_t max, const char *reason)
{
    if (!reason)
        reason = "(no reason recorded)";
    for (size_t i = 0; i < *nt; i++)
        if (t[i].reason == reason) {
            t[i].n++;
            return;
        }
    if (*nt < max)
        t[(*nt)++] = (struct tally){reason, 1};
}

static int usage(void)
{
    fprintf(stderr, "usage: boot_table_fuzz FILE...\n"
                    "       boot_table_fuzz --iterations N [--seed S] [--seconds T] "
                    "[--crash-dir DIR] SEED_DIR\n");
    return 2;
}

static int replay(int argc, char **argv)
{
    int status = 0;
    for (int i = 0; i < argc; i++) {
        struct input in;
        if (read_file(argv[i], &in) < 0) {
            fprintf(stderr, "boot_table fuzz: cannot read %s\n", argv[i]);
            status = 1;
            continue;
        }
        long n = fuzz_one(in.data, in.len);
        if (n >= 0)
            printf("%s: accepted, %ld libraries\n", argv[i], n);
        else
            printf("%s: rejected: %s\n", argv[i], fuzz_reason ? fuzz_reason : "?");
        fflush(stdout);
        free(in.data);
    }
    return status;
}

int main(int argc, char **argv)
{
    unsigned long long iterations = 0;
    double seconds = 0;
    int i = 1;
    g_seed = 1;
    while (i < argc && strncmp(argv[i], "--", 2) == 0) {
        const char *opt = argv[i++];
        if (strcmp(opt, "--") == 0)
            break;
        if (i >= argc)
            return usage();
        const char *value = argv[i++];
        if (strcmp(opt, "--iterations") == 0)
            iterations = strtoull(value, NULL, 10);
        else if (strcmp(opt, "--seed") == 0)
            g_seed = strtoull(value, NULL, 10);
        else if (strcmp(opt, "--seconds") == 0)
            seconds = strtod(value, NULL);
        else if (strcmp(opt, "--crash-dir") == 0)
            g_crash_dir = value;
        else
            return usage();
    }
    if (iterations == 0)
        return i < argc ? replay(argc - i, argv + i) : usage();
    if (argc - i != 1)
        return usage();

    static struct input pool[MAX_SEEDS + MAX_KEPT];
    size_t nseeds = 0, nkept = 0;
    DIR *dir = opendir(argv[i]);
    if (!dir) {
        fprintf(stderr, "boot_table fuzz: cannot open %s: %s\n", argv[i], strerror(errno));
        return 1;
    }
    char *names[MAX_SEEDS];
    size_t nnames = 0;
    for (struct dirent *e; (e = readdir(dir)) && nnames < MAX_SEEDS;)
        if (e->d_name[0] != '.')
            names[nnames++] = strdup(e->d_name);
    closedir(dir);
    /* Sorted, so a seed number gives the same run whatever order readdir gives. */
    for (size_t a = 1; a < nnames; a++)
        for (size_t b = a; b > 0 && strcmp(names[b - 1], names[b]) > 0; b--) {
            char *t = names[b];
            names[b] = names[b - 1], names[b - 1] = t;
        }
    for (size_t k = 0; k < nnames; k++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", argv[i], names[k]);
        if (read_file(path, &pool[nseeds]) == 0)
            nseeds++;
        free(names[k]);
    }
    if (nseeds == 0) {
        fprintf(stderr, "boot_table fuzz: no seeds in %s\n", argv[i]);
        return 1;
    }

    size_t longest = 0;
    for (size_t k = 0; k < nseeds; k++)
        longest = pool[k].len > longest ? pool[k].len : longest;
    struct buf b = {NULL, 0, longest * 2 + 4096 < FUZZ_MAX_INPUT ? longest * 2 + 4096 : FUZZ_MAX_INPUT};
    b.p = malloc(b.cap);
    if (!b.p)
        return 1;

    g_rng = g_seed;
    catch_crashes();
    struct tally reasons[64];
    size_t nreasons = 0;
    unsigned long long accepted = 0;
    double t0 = now();
    for (g_iteration = 0; g_iteration < iterations; g_iteration++) {
        if (seconds > 0 && (g_iteration & 255) == 0 && now() - t0 > seconds)
            break;
        const struct input *base = &pool[below(nseeds + nkept)];
        memcpy(b.p, base->data, base->len);
        b.len = base->len;
        for (size_t m = below(3) ? 1 + below(3) : 1 + below(10); m > 0; m--)
            mutate(&b, pool, nseeds + nkept);
        if (below(4) == 0)
            fix_comment_length(&b);
        g_current = b.p, g_current_len = b.len;
        if (fuzz_one(b.p, b.len) >= 0) {
            accepted++;
            /* An accepted mutant is a base for more: it reaches the deepest checks. */
            size_t slot = nkept < MAX_KEPT ? nkept++ : below(MAX_KEPT);
            struct input *kept = &pool[nseeds + slot];
            uint8_t *copy = realloc(kept->data, b.len ? b.len : 1);
            if (copy) {
                memcpy(copy, b.p, b.len);
                kept->data = copy, kept->len = b.len;
            } else if (slot == nkept - 1) {
                nkept--;
            }
        } else {
            count_reason(reasons, &nreasons, sizeof reasons / sizeof *reasons, fuzz_reason);
        }
        g_current = NULL;
    }
    double took = now() - t0;
    printf("seed %llu: %llu iterations in %.2f s (%.0f per second), %llu accepted\n", g_seed,
           g_iteration, took, took > 0 ? (double)g_iteration / took : 0.0, accepted);
    for (size_t k = 0; k < nreasons; k++)
        printf("  rejected %llu: %s\n", reasons[k].n, reasons[k].reason);
    fflush(stdout); /* before a leak report at exit, which ends the process its own way */
    for (size_t k = 0; k < nseeds + nkept; k++)
        free(pool[k].data);
    free(b.p);
    return 0;
}
#endif /* STANDALONE_DRIVER */
