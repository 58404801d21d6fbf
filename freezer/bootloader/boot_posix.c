/*
 * The bootloader's POSIX layer (Linux): finding and reading our own file (/proc/self/exe),
 * loading the boot libraries with dlopen from the per-user cache or a memfd, the cache and
 * its checks (docs/design.md, "Cache" and "Threat model"), the file size limit, the
 * io.open_code hook, and main().  Included at the end of boot.c, whose shared part it uses
 * and whose platform layer it defines.
 *
 * It is built against glibc 2.17 (zig's -target <arch>-linux-gnu.2.17), so it runs on any
 * Linux distribution of the last decade: the few newer functions it needs (memfd_create,
 * getrandom) are called as raw system calls, see below.
 */
#include <dlfcn.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>


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

static int file_size(int fd, uint64_t *size)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -1;
    *size = (uint64_t)st.st_size;
    return 0;
}

static void *lib_symbol(void *lib, const char *name)
{
    return dlsym(lib, name);
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
static void hasher_progress(void *ctx, uint64_t done)
{
    hasher_advance(ctx, done);
}

static unsigned char *unpack(int self, const struct lib *l, char hex[65])
{
    void *base;
    size_t span;
    const unsigned char *src = map_range(self, l->offset, l->csize, &base, &span);
    if (!src)
        fail("cannot map %s: %s", l->soname, strerror(errno));
    /* Populated up front (below): one call instead of a page fault per 4 KiB as it fills.
     * The size is bounded by what the frames can hold before any memory is committed. */
    zstd_check_bound(l, src);
    unsigned char *dst = mmap(NULL, l->size, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if ((void *)dst == MAP_FAILED)
        fail("out of memory for %s (%llu bytes)", l->soname, (unsigned long long)l->size);

    static struct hasher hs;
    int threaded = 0;
    if (hex) {
        hs = (struct hasher){.data = dst, .size = l->size};
        pthread_mutex_init(&hs.mu, NULL);
        pthread_cond_init(&hs.cv, NULL);
        threaded = pthread_create(&hs.thread, NULL, hasher_main, &hs) == 0;
    }
    zstd_decode(l, src, dst, threaded ? hasher_progress : NULL, &hs);
    munmap(base, span);
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
/* Starting Python: what is this platform's.                                                 */

static int g_argc;
static char **g_argv;
static const char *g_self_path; /* absolute: /proc/self/exe's target */

static void preconfigure(PyPreConfig *pre)
{
    /* UTF-8 regardless of locale: a frozen program must not break under LANG=C. */
    FZ_PRECONFIG_INT(pre, utf8_mode) = 1;
    /* Still set LC_CTYPE from the environment as `python -I` does (the isolated preset
     * leaves the C locale), so curses, readline and C extensions see the user's locale. */
    FZ_PRECONFIG_INT(pre, configure_locale) = 1;
    /* And coerce a legacy C/POSIX LC_CTYPE to C.UTF-8 (PEP 538) as `python -I` does, which
     * also sets LC_CTYPE in the environment the program and its children see; the isolated
     * preset turns that off. -1: decided by the locale, as python's own preset leaves it. */
    FZ_PRECONFIG_INT(pre, coerce_c_locale) = -1;
    FZ_PRECONFIG_INT(pre, coerce_c_locale_warn) = -1;
}

static void configure_paths(PyConfig *c)
{
    const char *self = g_self_path;
    check(p_PyConfig_SetBytesArgv(c, g_argc, g_argv), c);
    check(p_PyConfig_SetBytesString(c, &FZ_CONFIG_WSTR(c, executable), self), c);
    check(p_PyConfig_SetString(c, &FZ_CONFIG_WSTR(c, base_executable),
                                 FZ_CONFIG_WSTR(c, executable)), c);

    /* With home, the prefixes and the search path all given, the path calculation has
     * nothing to look for: no <exe>._pth, pyvenv.cfg or build-tree landmark is probed. */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", self);
    char *slash = strrchr(dir, '/'); /* there is one: /proc/self/exe is absolute */
    *(slash == dir ? slash + 1 : slash) = '\0';
    check(p_PyConfig_SetBytesString(c, &FZ_CONFIG_WSTR(c, home), dir), c);
    const wchar_t *home = FZ_CONFIG_WSTR(c, home);
    check(p_PyConfig_SetString(c, &FZ_CONFIG_WSTR(c, prefix), home), c);
    check(p_PyConfig_SetString(c, &FZ_CONFIG_WSTR(c, exec_prefix), home), c);
    check(p_PyConfig_SetString(c, &FZ_CONFIG_WSTR(c, base_prefix), home), c);
    check(p_PyConfig_SetString(c, &FZ_CONFIG_WSTR(c, base_exec_prefix), home), c);
}

static void before_start(int fd)
{
    read_self_by_fd(fd);
}

static int interrupted_exit(void)
{
    /* Die by SIGINT so the parent (a shell loop, make) knows we were interrupted. */
    signal(SIGINT, SIG_DFL);
    kill(getpid(), SIGINT);
    return 128 + SIGINT; /* only if SIGINT is blocked */
}

/* ---------------------------------------------------------------------------------------- */
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

    g_argc = argc, g_argv = argv, g_self_path = self;
    return start_python(py, fd);
}

