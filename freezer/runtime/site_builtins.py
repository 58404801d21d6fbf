"""site's builtins for a program that runs no site.

python imports `site` at start, and site adds `exit()`, `quit()`, `help()`, `copyright`,
`credits` and `license` to builtins; scripts call `exit(1)` and `help(obj)` without importing
anything. A frozen program runs no site (it has no site-packages to find; see README), so the
runtime adds the same objects itself, made from `_sitebuiltins` as site.setquit(),
setcopyright() and sethelper() make them.
"""

import sys

# site.setcopyright's credits text, the same in 3.9-3.13.
_CREDITS = """\
    Thanks to CWI, CNRI, BeOpen.com, Zope Corporation and a cast of thousands
    for supporting Python development.  See www.python.org for more information."""


def install(stdlib_dir):
    """Add site's builtins. `stdlib_dir` is where site looks for the LICENSE file that
    `license()` pages (the build machine's stdlib: found if this machine has it too)."""
    try:
        import _sitebuiltins
    except ImportError:  # --pruned without it
        return
    import builtins

    eof = "Ctrl-D (i.e. EOF)"
    builtins.quit = _sitebuiltins.Quitter("quit", eof)
    builtins.exit = _sitebuiltins.Quitter("exit", eof)
    printer = _sitebuiltins._Printer
    builtins.copyright = _printer(printer, "copyright", sys.copyright)
    builtins.credits = _printer(printer, "credits", _CREDITS)
    files = []
    if stdlib_dir:
        files = [folder + "/" + name for folder in (stdlib_dir + "/..", stdlib_dir, ".")
                 for name in ("LICENSE.txt", "LICENSE")]
    builtins.license = _printer(printer, "license", "See https://www.python.org/psf/license/",
                                files)
    builtins.help = _sitebuiltins._Helper()


def _printer(kind, name, data, filenames=()):
    """A `_sitebuiltins._Printer(name, data, files, dirs)`, built without calling its
    __init__, which imports os: python's site has imported os by then anyway, but the
    runtime does not at start (it would cost every start about 1 ms). The attributes set
    are those 3.9-3.13's _Printer keeps; a later version's is made by its own __init__."""
    if sys.version_info >= (3, 14):
        return kind(name, data, filenames, [""])
    made = kind.__new__(kind)
    made._Printer__name = name
    made._Printer__data = data
    made._Printer__lines = None
    made._Printer__filenames = list(filenames)
    return made
