/*
 * The bootloader's Win32 layer (Windows x86_64): finding and reading our own file
 * (GetModuleFileNameW), loading the boot libraries (the vcruntime DLLs and pythonXY.dll) with
 * LoadLibraryExW from the per-user cache, the cache and its checks, and wmain(): a console
 * program whose argv is the wide command line, as python.exe's.  Included at the end of
 * boot.c, whose shared part it uses and whose platform layer it defines.
 *
 * The cache is %LOCALAPPDATA%\freezer (or %FREEZER_CACHE_DIR%, an absolute path), laid out
 * as on Linux: native\<sha256>\<name>, each file written to a temporary name in its own
 * directory and renamed into place, so racing first starts are safe.  A DLL is loaded by
 * path, so nothing but the cache's copy can be loaded in its place; a cached file is used
 * only if its SHA-256 was checked, once, and the check is remembered in <name>.ok by the
 * file's identity (volume, file index, size, last write time); it is opened without sharing
 * write or delete access and kept open for the life of the process, so it cannot change
 * between that check and its use.  There is no memfd on Windows: where the cache cannot be
 * written the program cannot start, and says so.
 *
 * Modules that depend on DLLs (vcruntime140.dll, libssl-3.dll) find them because the runtime
 * loads them first: Windows resolves an import by a module of that name already loaded.
 */
#include <windows.h>
#include <fcntl.h>
#include <io.h>
#include <wchar.h>

#define WPATH 32768 /* the longest path the wide API takes */

static wchar_t g_self_w[WPATH]; /* our own path */
static int g_wargc;
static wchar_t **g_wargv;
static __typeof__(&PyConfig_SetArgv) p_PyConfig_SetArgv;

/* GetLastError() as one line (FormatMessage's text without its trailing newline). */
static const char *win_error(DWORD err)
{
    static char msg[256];
    DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                             err, 0, msg, sizeof msg, NULL);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r' || msg[n - 1] == ' ' ||
                     msg[n - 1] == '.'))
        msg[--n] = '\0';
    if (n == 0)
        snprintf(msg, sizeof msg, "error %lu", (unsigned long)err);
    return msg;
}

/* UTF-8 <-> UTF-16: paths are wide on Windows, UTF-8 in messages and in Python's FS
 * encoding (PEP 529). */
static char *to_utf8(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *s = n > 0 ? malloc((size_t)n) : NULL;
    if (!s || WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL) <= 0)
        fail("out of memory");
    return s;
}

static wchar_t *from_utf8(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
    wchar_t *w = n > 0 ? malloc((size_t)n * sizeof *w) : NULL;
    if (!w || MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n) <= 0) {
        free(w);
        return NULL;
    }
    return w;
}

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    char *p = buf;
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    while (len > 0) {
        OVERLAPPED ov = {0};
        ov.Offset = (DWORD)off;
        ov.OffsetHigh = (DWORD)(off >> 32);
        DWORD chunk = len > (1u << 30) ? (1u << 30) : (DWORD)len, got = 0;
        if (!ReadFile(h, p, chunk, &got, &ov) || got == 0)
            return -1;
        p += got, len -= got, off += got;
    }
    return 0;
}

static int file_size(int fd, uint64_t *size)
{
    LARGE_INTEGER li;
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    if (h == INVALID_HANDLE_VALUE || !GetFileSizeEx(h, &li))
        return -1;
    *size = (uint64_t)li.QuadPart;
    return 0;
}

static void *lib_symbol(void *lib, const char *name)
{
    return (void *)GetProcAddress((HMODULE)lib, name);
}

/* A read-only view of our whole file (UnmapViewOfFile it). */
static const unsigned char *map_self(int fd, uint64_t len)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    HANDLE m = CreateFileMappingW(h, NULL, PAGE_READONLY, 0, 0, NULL);
    if (!m)
        return NULL;
    const unsigned char *p = MapViewOfFile(m, FILE_MAP_READ, 0, 0, (SIZE_T)len);
    CloseHandle(m); /* the view keeps the mapping */
    return p;
}

/* ---------------------------------------------------------------------------------------- */
/* The per-user cache.                                                                       */

static struct {
    int state; /* 0: not looked at yet, 1: usable, -1: not */
    wchar_t path[WPATH];
    char why[512];
} g_cache;

/* %FREEZER_CACHE_DIR% (absolute: a drive or a UNC path), else %LOCALAPPDATA%\freezer. */
static const wchar_t *cache_root(const char **why)
{
    if (g_cache.state == 0) {
        const wchar_t *v = _wgetenv(L"FREEZER_CACHE_DIR");
        int absolute = v && ((v[0] && v[1] == L':' && (v[2] == L'\\' || v[2] == L'/')) ||
                             (v[0] == L'\\' && v[1] == L'\\'));
        const wchar_t *local = _wgetenv(L"LOCALAPPDATA");
        g_cache.state = -1;
        if (v && *v && !absolute)
            snprintf(g_cache.why, sizeof g_cache.why, "FREEZER_CACHE_DIR is not absolute");
        else if (v && *v)
            g_cache.state = swprintf(g_cache.path, WPATH, L"%ls", v) > 0 ? 1 : -1;
        else if (local && *local)
            g_cache.state = swprintf(g_cache.path, WPATH, L"%ls\\freezer", local) > 0 ? 1 : -1;
        else
            snprintf(g_cache.why, sizeof g_cache.why, "no LOCALAPPDATA for the cache");
        if (g_cache.state > 0) {
            /* Made with its parents, as on Linux; an existing one is used as it is. */
            wchar_t *p = g_cache.path;
            for (wchar_t *q = p + 3; *q; q++)
                if (*q == L'\\' || *q == L'/') {
                    wchar_t c = *q;
                    *q = L'\0';
                    CreateDirectoryW(p, NULL);
                    *q = c;
                }
            if (!CreateDirectoryW(p, NULL) && GetLastError() != ERROR_ALREADY_EXISTS) {
                snprintf(g_cache.why, sizeof g_cache.why, "cannot make the cache: %s",
                         win_error(GetLastError()));
                g_cache.state = -1;
            }
        }
    }
    *why = g_cache.why;
    return g_cache.state > 0 ? g_cache.path : NULL;
}

/* <root>\native\<sha>, made if missing, in `dir`; 0, or -1 with why. */
static int native_dir(const char *sha, wchar_t dir[WPATH], const char **why)
{
    const wchar_t *root = cache_root(why);
    if (!root)
        return -1;
    swprintf(dir, WPATH, L"%ls\\native", root);
    CreateDirectoryW(dir, NULL);
    swprintf(dir, WPATH, L"%ls\\native\\%hs", root, sha);
    if (!CreateDirectoryW(dir, NULL) && GetLastError() != ERROR_ALREADY_EXISTS) {
        *why = win_error(GetLastError());
        return -1;
    }
    return 0;
}

/* The identity the .ok record holds: what changes when the file's content can have. */
static void identity(HANDLE h, const char *sha, char *buf, size_t cap)
{
    BY_HANDLE_FILE_INFORMATION fi;
    if (!GetFileInformationByHandle(h, &fi)) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, cap, "%s %lu %lu.%lu %lu.%lu %lu.%lu\n", sha,
             (unsigned long)fi.dwVolumeSerialNumber, (unsigned long)fi.nFileIndexHigh,
             (unsigned long)fi.nFileIndexLow, (unsigned long)fi.nFileSizeHigh,
             (unsigned long)fi.nFileSizeLow, (unsigned long)fi.ftLastWriteTime.dwHighDateTime,
             (unsigned long)fi.ftLastWriteTime.dwLowDateTime);
}

/* Writes `len` bytes to `path` through a temporary file beside it and a rename; 0 or -1.  A
 * file already there (another start's, maybe loaded by it) is left as it is. */
static int write_atomic(const wchar_t *path, const void *data, uint64_t len)
{
    static unsigned counter;
    wchar_t tmp[WPATH];
    swprintf(tmp, WPATH, L"%ls.freezer-tmp-%lu-%u", path, (unsigned long)GetCurrentProcessId(),
             counter++);
    HANDLE h = CreateFileW(tmp, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    const unsigned char *p = data;
    int ok = 1;
    while (ok && len > 0) {
        DWORD chunk = len > (1u << 30) ? (1u << 30) : (DWORD)len, put = 0;
        ok = WriteFile(h, p, chunk, &put, NULL) && put > 0;
        p += put, len -= put;
    }
    CloseHandle(h);
    if (ok && (MoveFileExW(tmp, path, MOVEFILE_REPLACE_EXISTING) ||
               GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES)) {
        DeleteFileW(tmp); /* only there if the rename lost to a file in use */
        return 0;
    }
    DWORD err = GetLastError();
    DeleteFileW(tmp);
    SetLastError(err);
    return -1;
}

/* The cached file `path`, open without write or delete sharing, if its content is that of
 * `sha`: on record, or hashed now (and then recorded) when `rehash`.  INVALID_HANDLE_VALUE
 * otherwise. */
static HANDLE open_verified(const wchar_t *path, uint64_t size, const char *sha, int rehash)
{
    HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                           FILE_ATTRIBUTE_NORMAL, NULL);
    LARGE_INTEGER li;
    if (h == INVALID_HANDLE_VALUE)
        return h;
    if (!GetFileSizeEx(h, &li) || (uint64_t)li.QuadPart != size) {
        CloseHandle(h);
        return INVALID_HANDLE_VALUE;
    }
    char id[256], rec[256] = {0};
    identity(h, sha, id, sizeof id);
    wchar_t ok[WPATH];
    swprintf(ok, WPATH, L"%ls.ok", path);
    HANDLE r = CreateFileW(ok, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                           FILE_ATTRIBUTE_NORMAL, NULL);
    DWORD got = 0;
    if (r != INVALID_HANDLE_VALUE) {
        ReadFile(r, rec, sizeof rec - 1, &got, NULL);
        CloseHandle(r);
    }
    if (id[0] && strcmp(rec, id) == 0)
        return h;
    if (rehash && size > 0) {
        HANDLE m = CreateFileMappingW(h, NULL, PAGE_READONLY, 0, 0, NULL);
        const unsigned char *p = m ? MapViewOfFile(m, FILE_MAP_READ, 0, 0, 0) : NULL;
        char hex[65] = {0};
        if (p) {
            sha256_mem(p, size, hex);
            UnmapViewOfFile(p);
        }
        if (m)
            CloseHandle(m);
        if (strcmp(hex, sha) == 0) {
            write_atomic(ok, id, strlen(id));
            return h;
        }
    }
    CloseHandle(h);
    return INVALID_HANDLE_VALUE;
}

/* The bytes of `l` in memory (VirtualFree them): decompressed, or copied, and checked
 * against the SHA-256 the boot table gives. */
static unsigned char *unpack(int fd, const struct lib *l)
{
    uint64_t stored = l->csize ? l->csize : l->size;
    unsigned char *src = VirtualAlloc(NULL, (SIZE_T)stored, MEM_COMMIT | MEM_RESERVE,
                                      PAGE_READWRITE);
    if (!src)
        fail("out of memory for %s (%llu bytes)", l->soname, (unsigned long long)stored);
    if (pread_all(fd, src, (size_t)stored, l->offset) < 0)
        damaged("%s: out of bounds", l->soname);
    unsigned char *dst = src;
    if (l->csize) {
        zstd_check_bound(l, src);
        dst = VirtualAlloc(NULL, (SIZE_T)l->size, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
        if (!dst)
            fail("out of memory for %s (%llu bytes)", l->soname, (unsigned long long)l->size);
        zstd_decode(l, src, dst, NULL, NULL);
        VirtualFree(src, 0, MEM_RELEASE);
    }
    char hex[65];
    sha256_mem(dst, l->size, hex);
    if (strcmp(hex, l->sha) != 0)
        damaged("%s: checksum mismatch", l->soname);
    return dst;
}

/* The path of `l` in the cache, written there first if it is not (verified) already; its
 * handle stays open, so the file cannot change while the process may load it.  NULL with
 * why when the cache cannot be used. */
static const wchar_t *cached(int fd, const struct lib *l, wchar_t path[WPATH], const char **why)
{
    wchar_t dir[WPATH];
    if (native_dir(l->sha, dir, why) < 0)
        return NULL;
    swprintf(path, WPATH, L"%ls\\%hs", dir, l->soname);
    HANDLE h = open_verified(path, l->size, l->sha, 1);
    if (h == INVALID_HANDLE_VALUE) {
        unsigned char *data = unpack(fd, l);
        int written = write_atomic(path, data, l->size);
        DWORD err = GetLastError();
        VirtualFree(data, 0, MEM_RELEASE);
        if (written < 0) {
            *why = win_error(err);
            return NULL;
        }
        h = open_verified(path, l->size, l->sha, 1);
        if (h == INVALID_HANDLE_VALUE) {
            *why = "the cached copy changed as it was written";
            return NULL;
        }
    }
    (void)h; /* held for the life of the process */
    return path;
}

static void *load_lib(int fd, const struct lib *l)
{
    wchar_t path[WPATH];
    const char *why = NULL;
    if (!cached(fd, l, path, &why))
        fail("cannot load %s: the cache cannot be written (%s)", l->soname, why);
    HMODULE m = LoadLibraryExW(path, NULL, LOAD_WITH_ALTERED_SEARCH_PATH);
    if (!m)
        fail("cannot load %s: %s", l->soname, win_error(GetLastError()));
    return m;
}

/* The whole file is checked before any of it is trusted (every start: no record here yet). */
static void verify_self(int fd, uint64_t covered, const char *sha)
{
    const unsigned char *p = map_self(fd, covered);
    char hex[65];
    if (!p)
        fail("cannot map the executable: %s", win_error(GetLastError()));
    sha256_mem(p, covered, hex);
    UnmapViewOfFile(p);
    if (strcmp(hex, sha) != 0)
        damaged("checksum mismatch");
}

/* ---------------------------------------------------------------------------------------- */
/* _freezer_boot's services.                                                                 */

static PyObject *path_object(const wchar_t *w)
{
    char *s = to_utf8(w);
    PyObject *o = p_PyUnicode_DecodeFSDefault(s);
    free(s);
    return o;
}

static PyObject *boot_dlopen(PyObject *module, PyObject *arg)
{
    PyObject *bytes = NULL;
    (void)module;
    if (!p_PyUnicode_FSConverter(arg, &bytes))
        return NULL;
    const char *s = p_PyBytes_AsString(bytes);
    wchar_t *w = s ? from_utf8(s) : NULL;
    HMODULE m = w ? LoadLibraryExW(w, NULL, LOAD_WITH_ALTERED_SEARCH_PATH) : NULL;
    DWORD err = GetLastError();
    free(w);
    p_Py_DecRef(bytes);
    if (!s)
        return NULL;
    if (!m) {
        p_PyErr_SetString(*p_PyExc_ImportError, win_error(err));
        return NULL;
    }
    p_Py_IncRef(p__Py_NoneStruct);
    return p__Py_NoneStruct;
}

static PyObject *boot_unpack(PyObject *module, PyObject *args)
{
    (void)module;
    struct lib l;
    if (zstd_entry_arg(args, "KKKss:unpack", &l) < 0)
        return NULL;
    wchar_t path[WPATH];
    const char *why = NULL;
    if (!cached(g_self_fd, &l, path, &why)) {
        p_PyErr_SetString(*p_PyExc_OSError, why ? why : "cannot write the native cache");
        return NULL;
    }
    return path_object(path);
}

static PyObject *boot_map(PyObject *module, PyObject *args)
{
    (void)module;
    struct lib l;
    if (zstd_entry_arg(args, "KKKss:map", &l) < 0)
        return NULL;
    wchar_t path[WPATH];
    const char *why = NULL;
    const unsigned char *p = NULL;
    if (cached(g_self_fd, &l, path, &why)) {
        HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                               FILE_ATTRIBUTE_NORMAL, NULL);
        HANDLE m = h != INVALID_HANDLE_VALUE
                       ? CreateFileMappingW(h, NULL, PAGE_READONLY, 0, 0, NULL) : NULL;
        p = m ? MapViewOfFile(m, FILE_MAP_READ, 0, 0, 0) : NULL;
        if (m)
            CloseHandle(m);
        if (h != INVALID_HANDLE_VALUE)
            CloseHandle(h);
    }
    if (!p)
        p = unpack(g_self_fd, &l); /* kept: the store is read for as long as the process runs */
    return p_PyMemoryView_FromMemory((char *)p, (Py_ssize_t)l.size, PyBUF_READ);
}

static PyObject *boot_cache_root(PyObject *module, PyObject *unused)
{
    (void)module, (void)unused;
    const char *why;
    const wchar_t *root = cache_root(&why);
    if (!root) {
        p_PyErr_SetString(*p_PyExc_OSError, why);
        return NULL;
    }
    return path_object(root);
}

/* ---------------------------------------------------------------------------------------- */
/* Starting Python: what is this platform's.                                                 */

static void preconfigure(PyPreConfig *pre)
{
    /* As python.exe: the ANSI code page unless the user asks for UTF-8 mode, and LC_CTYPE
     * from the user's settings. */
    FZ_PRECONFIG_INT(pre, configure_locale) = 1;
}

static void configure_paths(PyConfig *c)
{
    check(p_PyConfig_SetArgv(c, g_wargc, g_wargv), c);
    check(p_PyConfig_SetString(c, &FZ_CONFIG_WSTR(c, executable), g_self_w), c);
    check(p_PyConfig_SetString(c, &FZ_CONFIG_WSTR(c, base_executable), g_self_w), c);
    /* home given: no pythonXY._pth, pyvenv.cfg or landmark beside us is read. */
    static wchar_t dir[WPATH];
    swprintf(dir, WPATH, L"%ls", g_self_w);
    wchar_t *slash = wcsrchr(dir, L'\\');
    if (slash)
        *slash = L'\0';
    check(p_PyConfig_SetString(c, &FZ_CONFIG_WSTR(c, home), dir), c);
    check(p_PyConfig_SetString(c, &FZ_CONFIG_WSTR(c, prefix), dir), c);
    check(p_PyConfig_SetString(c, &FZ_CONFIG_WSTR(c, exec_prefix), dir), c);
    check(p_PyConfig_SetString(c, &FZ_CONFIG_WSTR(c, base_prefix), dir), c);
    check(p_PyConfig_SetString(c, &FZ_CONFIG_WSTR(c, base_exec_prefix), dir), c);
}

/* A running .exe cannot be overwritten or deleted on Windows, so zipimport's opens by path
 * always find the file checked at start: no open_code hook is needed. */
static void before_start(int fd)
{
    (void)fd;
}

/* python.exe's status after a KeyboardInterrupt: STATUS_CONTROL_C_EXIT. */
static int interrupted_exit(void)
{
    return (int)0xC000013AL;
}

/* ---------------------------------------------------------------------------------------- */

int wmain(int argc, wchar_t **argv)
{
    DWORD n = GetModuleFileNameW(NULL, g_self_w, WPATH);
    if (n == 0 || n >= WPATH)
        fail("cannot find its own file: %s", win_error(GetLastError()));
    g_self = to_utf8(g_self_w);
    /* A damaged program must say so on stderr, not in a dialog box. */
    SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOOPENFILEERRORBOX);
    int fd = _wopen(g_self_w, _O_RDONLY | _O_BINARY | _O_NOINHERIT);
    if (fd < 0)
        fail("cannot open itself: %s", strerror(errno));

    size_t count;
    uint64_t covered = 0;
    char sha[65];
    struct lib *libs = read_boot_table(fd, &count, &covered, sha);
    verify_self(fd, covered, sha);
    void *py = NULL;
    for (size_t i = 0; i < count; i++)
        py = load_lib(fd, &libs[i]); /* the last one is pythonXY.dll */
    g_self_fd = fd;
    free(libs);
    if (!(p_PyConfig_SetArgv = (__typeof__(&PyConfig_SetArgv))lib_symbol(py, "PyConfig_SetArgv")))
        damaged("libpython lacks PyConfig_SetArgv");
    g_wargc = argc, g_wargv = argv;
    return start_python(py, fd);
}
