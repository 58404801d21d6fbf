"""Writes pylayout.h: the layout facts of CPython 3.9-3.13 that boot.c depends on.

Why: the bootloader resolves every CPython function with dlsym, so the only thing it ever
needed Python.h for was a handful of types whose layout it must know (PyConfig, PyPreConfig,
PyStatus, PyWideStringList, struct _frozen, PyModuleDef...). Recording those numbers once, per
minor version, lets a bootloader be built with no Python.h at all (a fresh machine, a
cross-build for another architecture), by any C compiler.

The numbers are read from real headers: a small probe program is compiled against each
CPython's include directory and prints offsetof/sizeof of every field boot.c touches; which
optional fields a version has is read from the header text. Run it from the repository root
when a new CPython minor version is supported, and commit the result:

    .venv/bin/python -m freezer.bootloader.gen_pylayout [INCLUDE_DIR ...]

Without arguments it uses the newest pyenv CPython of every minor version 3.9-3.13.
tests/test_pylayout.py compiles pylayout_check.c against each real Python.h, which
static-asserts that every recorded number still matches.

The layouts are those of x86_64; aarch64 Linux is LP64 with a 4-byte wchar_t as well, so
every size and offset here is the same there (the test checks that too, with zig).

Windows (x86_64) is LLP64 with a 2-byte wchar_t, and its PyConfig and PyPreConfig have fields
of their own (`#ifdef MS_WINDOWS`), so those two structures are probed again for it: their
header (cpython/initconfig.h) needs nothing but a few macros, so it is compiled alone for
x86_64-windows-gnu with MS_WINDOWS defined (the same text CPython's Windows build compiles)
and the numbers are read from the assembly, so no Windows machine is needed. Every other
structure boot.c declares has only pointers, ints and Py_ssize_t: the same on both.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "pylayout.h"
MINORS = (9, 10, 11, 12, 13)

# PyConfig fields boot.c sets, by C type; a field missing from a version's header is left
# out of that version's list (use_frozen_modules is 3.11+).
CONFIG_INT = ("install_signal_handlers", "site_import", "write_bytecode",
              "user_site_directory", "parse_argv", "pathconfig_warnings", "buffered_stdio",
              "module_search_paths_set", "use_frozen_modules")
CONFIG_WSTR = ("executable", "base_executable", "home", "prefix", "exec_prefix",
               "base_prefix", "base_exec_prefix")
CONFIG_LIST = ("module_search_paths",)
PRECONFIG_INT = ("utf8_mode", "configure_locale", "coerce_c_locale", "coerce_c_locale_warn")
# Structures boot.c declares itself (pyabi.h): every field's offset is recorded and asserted.
STRUCTS = {
    "PyStatus": ("_type", "func", "err_msg", "exitcode"),
    "PyWideStringList": ("length", "items"),
    "PyMethodDef": ("ml_name", "ml_meth", "ml_flags", "ml_doc"),
    "PyModuleDef_Base": ("m_init", "m_index", "m_copy"),
    "PyModuleDef": ("m_base", "m_name", "m_doc", "m_size", "m_methods", "m_slots",
                    "m_traverse", "m_clear", "m_free"),
}
FROZEN_FIELDS = ("name", "code", "size", "is_package", "get_code")
CONSTANTS = ("PYTHON_API_VERSION", "PyBUF_READ", "METH_VARARGS", "METH_NOARGS", "METH_O")


def pyenv_includes() -> list[Path]:
    """The include directory of the newest pyenv CPython of each supported minor version."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    found: dict[int, tuple[tuple[int, ...], Path]] = {}
    for d in root.glob("3.*"):
        m = re.fullmatch(r"3\.(\d+)\.(\d+)", d.name)
        if not m or int(m[1]) not in MINORS:
            continue
        inc = d / "include" / f"python3.{m[1]}"
        key = (int(m[1]), int(m[2]))
        if (inc / "Python.h").is_file() and key > found.get(key[0], ((0,), inc))[0]:
            found[key[0]] = (key, inc)
    return [found[k][1] for k in sorted(found)]


def header_text(include: Path) -> str:
    """Every header of the include directory, for finding which optional fields exist."""
    return "\n".join(p.read_text(errors="replace") for p in sorted(include.rglob("*.h")))


def struct_body(text: str, name: str) -> str:
    """The member list of `typedef struct {...} NAME;` or of `struct NAME {...};`."""
    m = (re.search(r"typedef struct\s*\w*\s*\{((?:(?!\n\}).)*)\n\}\s*" + re.escape(name)
                   + r"\s*;", text, re.S)
         or re.search(r"\bstruct " + re.escape(name) + r"\s*\{(.*?)\n\};", text, re.S))
    if not m:
        raise SystemExit(f"cannot find the definition of {name} in the headers")
    return m[1]


def has_field(body: str, field: str) -> bool:
    return re.search(rf"[\s*(]{re.escape(field)}\s*[;)\[]", body) is not None


def probe_source(config_fields: dict[str, list[str]], frozen: list[str]) -> str:
    """C that prints one #define per fact, compiled against the real Python.h."""
    lines = ["#include <Python.h>", "#include <stddef.h>", "#include <stdio.h>",
             "int main(void) {",
             '  printf("#define FZ_PY_VERSION \\"%s\\"\\n", PY_VERSION);']

    def emit(name: str, expr: str) -> None:
        lines.append(f'  printf("#define {name} %lld\\n", (long long)({expr}));')

    for t in ("PyConfig", "PyPreConfig"):
        emit(f"FZ_{t}_SIZE", f"sizeof({t})")
        emit(f"FZ_{t}_ALIGN", f"_Alignof({t})")
    for kind, fields in config_fields.items():
        t = "PyPreConfig" if kind == "PRE_INT" else "PyConfig"
        for f in fields:
            emit(f"FZ_{t}_{f}", f"offsetof({t}, {f})")
    for t, fields in STRUCTS.items():
        emit(f"FZ_{t}_SIZE", f"sizeof({t})")
        for f in fields:
            emit(f"FZ_{t}_{f}", f"offsetof({t}, {f})")
    emit("FZ_frozen_SIZE", "sizeof(struct _frozen)")
    for f in frozen:
        emit(f"FZ_frozen_{f}", f"offsetof(struct _frozen, {f})")
    lines.append("  { PyModuleDef_Base b = PyModuleDef_HEAD_INIT;")
    lines.append('    printf("#define FZ_HEAD_INIT_REFCNT %lld\\n", (long long)Py_REFCNT(&b)); }')
    for c in CONSTANTS:
        emit(f"FZ_{c}", c)
    lines += ["  return 0;", "}"]
    return "\n".join(lines) + "\n"


def compiler() -> list[str]:
    """zig (the toolchain freezer installs) for the probe, else $CC/cc."""
    try:
        import ziglang  # noqa: F401
        return [sys.executable, "-m", "ziglang", "cc"]
    except ImportError:
        return shlex.split(os.environ.get("CC") or "cc")


def probe(include: Path) -> tuple[int, list[str]]:
    """The minor version and the #define lines of one CPython's headers."""
    text = header_text(include)
    config = struct_body(text, "PyConfig")
    pre = struct_body(text, "PyPreConfig")
    fields = {
        "INT": [f for f in CONFIG_INT if has_field(config, f)],
        "WSTR": [f for f in CONFIG_WSTR if has_field(config, f)],
        "LIST": [f for f in CONFIG_LIST if has_field(config, f)],
        "PRE_INT": [f for f in PRECONFIG_INT if has_field(pre, f)],
    }
    frozen = [f for f in FROZEN_FIELDS if has_field(struct_body(text, "_frozen"), f)]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "probe.c")
        src.write_text(probe_source(fields, frozen))
        exe = Path(tmp, "probe")
        subprocess.run([*compiler(), f"-I{include}", str(src), "-o", str(exe)], check=True)
        out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    defines = out.splitlines()
    minor = int(re.search(r'FZ_PY_VERSION "3\.(\d+)', out)[1])
    for kind, names in fields.items():
        t = "PyPreConfig" if kind == "PRE_INT" else "PyConfig"
        xs = " ".join(f"X({n})" for n in names)
        defines.append(f"#define FZ_{t}_{kind.removeprefix('PRE_')}_FIELDS(X) {xs}")
    defines.append(f"#define FZ_frozen_FIELDS(X) {' '.join(f'X({n})' for n in frozen)}")
    return minor, defines


WINDOWS_PRELUDE = """#include <stddef.h>
#include <wchar.h>
#define MS_WINDOWS 1
typedef long long Py_ssize_t;
typedef struct _object PyObject;
#define PyAPI_FUNC(RTYPE) RTYPE
#define PyAPI_DATA(RTYPE) extern RTYPE
#define Py_DEPRECATED(VERSION)
#include "cpython/initconfig.h"
"""


def probe_windows(include: Path, names: list[str]) -> list[str]:
    """The #define lines of the PyConfig/PyPreConfig facts in `names` (FZ_PyConfig_home...)
    for x86_64 Windows, from the same headers (see the module's docstring)."""
    lines = [WINDOWS_PRELUDE]
    for name in names:
        t, _, field = name.removeprefix("FZ_").partition("_")
        expr = {"SIZE": f"sizeof({t})", "ALIGN": f"_Alignof({t})"}.get(field,
                                                                       f"offsetof({t}, {field})")
        lines.append(f"const long long fz_{t}_{field} = {expr};")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "probe_windows.c")
        src.write_text("\n".join(lines) + "\n")
        asm = Path(tmp, "probe_windows.s")
        subprocess.run([*compiler(), "-target", "x86_64-windows-gnu", f"-I{include}", "-S",
                        "-g0", str(src), "-o", str(asm)], check=True)
        found = dict(re.findall(r"^fz_(\w+):\s*\.quad\s+(\d+)", asm.read_text(), re.M))
    return [f"#define {n} {found[n.removeprefix('FZ_')]}" for n in names]


def config_defines(defines: list[str]) -> list[str]:
    """The names of the PyConfig/PyPreConfig numbers among a version's #define lines."""
    return [d.split()[1] for d in defines
            if re.match(r"#define FZ_Py(Pre)?Config_\w+ \d+$", d)]


def render(versions: list[tuple[int, list[str]]],
           windows: dict[int, list[str]] | None = None) -> str:
    full = ", ".join(next(d for d in defs if "FZ_PY_VERSION" in d).split('"')[1]
                     for _, defs in versions)
    out = [
        "/* The layout facts of CPython's headers that boot.c relies on, per minor version.",
        f" * Generated by freezer/bootloader/gen_pylayout.py from CPython {full};",
        " * do not edit (run it again instead).  pylayout_check.c asserts them against the",
        " * real headers; pyabi.h builds its declarations on them.  Select one version with",
        " * -DFREEZER_PY_MINOR=N. */",
        "#ifndef FREEZER_PYLAYOUT_H",
        "#define FREEZER_PYLAYOUT_H",
        "#ifndef FREEZER_PY_MINOR",
        '#error "define FREEZER_PY_MINOR, the target CPython 3.x minor version"',
    ]
    for minor, defs in versions:
        out.append(f"#elif FREEZER_PY_MINOR == {minor}")
        win = (windows or {}).get(minor)
        if not win:
            out += defs
            continue
        names = set(config_defines(defs))
        out += [d for d in defs if len(d.split()) < 2 or d.split()[1] not in names]
        out.append("#ifdef _WIN32 /* LLP64, 2-byte wchar_t, MS_WINDOWS fields */")
        out += win
        out.append("#else")
        out += [d for d in defs if len(d.split()) >= 2 and d.split()[1] in names]
        out.append("#endif")
    out += ["#else", '#error "no layout recorded for this CPython minor version"', "#endif",
            "#endif", ""]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    includes = [Path(a) for a in argv] or pyenv_includes()
    if not includes:
        raise SystemExit("no CPython headers found (give include directories)")
    probed = sorted((*probe(inc), inc) for inc in includes)
    versions = [(minor, defs) for minor, defs, _ in probed]
    windows = {minor: probe_windows(inc, config_defines(defs)) for minor, defs, inc in probed}
    OUT.write_text(render(versions, windows))
    print(f"wrote {OUT} for 3.{', 3.'.join(str(m) for m, _ in versions)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
