/*
 * freezer bootloader: the ELF at the front of every frozen executable.
 *
 * The file is [this program][zip payload][zip end record whose comment is the boot table].
 * We read the boot table, load libpython (and anything it needs) out of our own file,
 * start an isolated interpreter whose only import path is our own file (zipimport does
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
#include <fcntl.h>
#include <limits.h>
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

#define EOCD_SIZE 22                  /* zip end-of-central-directory record, sans comment */
#define EOCD_SEARCH (65535 + EOCD_SIZE) /* the comment length is 16 bits */
#define MAX_SONAME 200

static const char *g_self = "freezer"; /* our path, for error messages */

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

__attribute__((noreturn, format(printf, 1, 2))) static void damaged(const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    fail("damaged executable (%s)", detail);
}

/* ---------------------------------------------------------------------------------------- */
/* Reading our own file.                                                                    */

struct lib {
    uint64_t offset, size;
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

/* One line, without its '\n': "boot <offset> <size> <sha256hex> <soname>". */
static int parse_boot_line(const char *p, struct lib *l)
{
    if (strncmp(p, "boot ", 5) != 0)
        return -1;
    if (!(p = parse_u64(p + 5, &l->offset)) || *p++ != ' ')
        return -1;
    if (!(p = parse_u64(p, &l->size)) || *p++ != ' ')
        return -1;
    for (int i = 0; i < 64; i++, p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return -1;
        l->sha[i] = *p;
    }
    l->sha[64] = '\0';
    if (*p++ != ' ')
        return -1;
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
        damaged("out of memory");

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
        unsigned char elf[4];
        if (l->size > eocd_pos || l->offset > eocd_pos - l->size)
            damaged("%s: out of bounds", l->soname);
        if (l->size < sizeof elf || pread_all(fd, elf, sizeof elf, l->offset) < 0 ||
            memcmp(elf, "\177ELF", 4) != 0)
            damaged("%s: not an ELF file", l->soname);
    }
    *count = i;
    return libs;
}

/* ---------------------------------------------------------------------------------------- */
/* SHA-256 (FIPS 180-4), only used to verify a library before it enters the shared cache.  */

struct sha256 {
    uint32_t h[8];
    uint64_t len;
    unsigned char buf[64];
};

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

#define ROR(x, n) ((x) >> (n) | (x) << (32 - (n)))

static void sha256_block(uint32_t h[8], const unsigned char *b)
{
    uint32_t w[64], s[8];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
               (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ w[i - 15] >> 3;
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ w[i - 2] >> 10;
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(s, h, sizeof s);
    for (int i = 0; i < 64; i++) {
        uint32_t e = s[4], a = s[0];
        uint32_t t1 = s[7] + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & s[5]) ^ (~e & s[6])) +
                      K256[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & s[1]) ^ (a & s[2]) ^ (s[1] & s[2]));
        memmove(s + 1, s, 7 * sizeof *s);
        s[4] += t1;
        s[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++)
        h[i] += s[i];
}

static void sha256_init(struct sha256 *c)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, iv, sizeof iv);
    c->len = 0;
}

static void sha256_update(struct sha256 *c, const unsigned char *p, size_t n)
{
    while (n > 0) {
        size_t used = c->len % 64, take = 64 - used < n ? 64 - used : n;
        memcpy(c->buf + used, p, take);
        c->len += take, p += take, n -= take;
        if (c->len % 64 == 0)
            sha256_block(c->h, c->buf);
    }
}

static void sha256_hex(struct sha256 *c, char out[65])
{
    uint64_t bits = c->len * 8;
    unsigned char pad[72] = {0x80};
    size_t padlen = (c->len % 64 < 56 ? 56 : 120) - c->len % 64;
    for (int i = 0; i < 8; i++)
        pad[padlen + i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_update(c, pad, padlen + 8);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", (unsigned)(c->h[i / 4] >> (24 - 8 * (i % 4))) & 0xff);
}

/* ---------------------------------------------------------------------------------------- */
/* Loading the boot libraries.                                                              */

/* Preferred: an anonymous in-memory file, so nothing is ever written to disk. */
static void *load_from_memfd(int self, const struct lib *l)
{
    int fd = memfd_create(l->soname, MFD_CLOEXEC);
    if (fd < 0)
        return NULL;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    void *h = copy_range(self, l->offset, l->size, fd) == 0 ? dlopen(path, RTLD_NOW | RTLD_GLOBAL)
                                                              : NULL;
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

/* Writes the library to a temp file next to its final name, checks its SHA-256 and renames
 * it into place.  rename() is atomic, so concurrent first runs cannot see a partial file. */
static int write_cache_file(int self, const struct lib *l, const char *dir, const char *final,
                            char *err, size_t errcap)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, l->soname) >= (int)sizeof tmp)
        return snprintf(err, errcap, "cache path too long"), -1;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return snprintf(err, errcap, "cannot create file in %s: %s", dir, strerror(errno)), -1;

    int ok = copy_range(self, l->offset, l->size, fd) == 0 && fchmod(fd, 0700) == 0;
    if (!ok)
        snprintf(err, errcap, "cannot write %s: %s", tmp, strerror(errno));

    /* Hash what actually landed on disk, not what we meant to write. */
    struct sha256 c;
    static unsigned char buf[1 << 16];
    sha256_init(&c);
    for (uint64_t pos = 0; ok && pos < l->size;) {
        size_t n = l->size - pos < sizeof buf ? (size_t)(l->size - pos) : sizeof buf;
        if (pread_all(fd, buf, n, pos) < 0) {
            snprintf(err, errcap, "cannot read back %s", tmp);
            ok = 0;
        }
        sha256_update(&c, buf, n);
        pos += n;
    }
    char hex[65];
    if (ok) {
        sha256_hex(&c, hex);
        if (strcmp(hex, l->sha) != 0) {
            snprintf(err, errcap, "damaged executable (%s: SHA-256 mismatch)", l->soname);
            ok = 0;
        }
    }
    close(fd);
    if (ok && rename(tmp, final) < 0) {
        snprintf(err, errcap, "cannot rename into %s: %s", final, strerror(errno));
        ok = 0;
    }
    if (!ok)
        unlink(tmp); /* never leave temp files behind */
    return ok ? 0 : -1;
}

/* Fallback when memfds are unavailable or not executable: a content-addressed per-user cache,
 * <root>/native/<sha256>/<soname>.  Returns NULL with a message in err. */
static void *load_from_cache(int self, const struct lib *l, char *err, size_t errcap)
{
    char dir[PATH_MAX], final[PATH_MAX];
    if (!cache_root(dir, sizeof dir))
        return snprintf(err, errcap, "no cache directory (set FREEZER_CACHE_DIR)"), NULL;
    size_t rootlen = strlen(dir);
    if (snprintf(dir + rootlen, sizeof dir - rootlen, "/native/%s", l->sha) >=
            (int)(sizeof dir - rootlen) ||
        snprintf(final, sizeof final, "%s/%s", dir, l->soname) >= (int)sizeof final)
        return snprintf(err, errcap, "cache path too long"), NULL;
    if (make_dirs(dir) < 0)
        return snprintf(err, errcap, "cannot create %s: %s", dir, strerror(errno)), NULL;

    struct stat st;
    int cached = stat(final, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == l->size;
    if (!cached && write_cache_file(self, l, dir, final, err, errcap) < 0)
        return NULL;
    void *h = dlopen(final, RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(err, errcap, "cannot load %s: %s", final, e ? e : "dlopen failed");
    }
    return h;
}

static void *load_lib(int self, const struct lib *l)
{
    const char *nomemfd = getenv("FREEZER_NO_MEMFD");
    void *h = NULL;
    if (!nomemfd || strcmp(nomemfd, "1") != 0)
        h = load_from_memfd(self, l);
    if (!h) {
        char err[PATH_MAX + 512];
        if (!(h = load_from_cache(self, l, err, sizeof err)))
            fail("%s", err);
    }
    return h;
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
    X(PyErr_Print)
/* Data symbols: dlsym gives the variable's address, hence the extra '*' at each use. */
#define PY_DATA(X)                                                                           \
    X(PyExc_ImportError) X(PyExc_TypeError) X(PyExc_BaseException) X(PyExc_KeyboardInterrupt) \
    X(_Py_NoneStruct)

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

static PyMethodDef boot_methods[] = {
    {"dlopen", boot_dlopen, METH_O, "dlopen(path): load a shared library RTLD_NOW|RTLD_GLOBAL."},
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
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    check(p_PyConfig_SetBytesString(&c, &c.home, slash ? dir : "/"), &c);
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
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        fail("cannot find own executable via /proc/self/exe: %s", n ? strerror(errno) : "empty");
    self[n] = '\0';
    g_self = self;
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail("cannot open /proc/self/exe: %s", strerror(errno));

    size_t count;
    struct lib *libs = read_boot_table(fd, &count);
    void *py = NULL;
    for (size_t i = 0; i < count; i++)
        py = load_lib(fd, &libs[i]); /* the last one is libpython */
    close(fd);
    free(libs);

    resolve_api(py);
    init_python(argc, argv, self);
    return run_python();
}
