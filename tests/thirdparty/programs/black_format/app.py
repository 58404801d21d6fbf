"""black, a mypyc-compiled distribution: its modules import a shared `<hash>__mypyc`
extension at the top of site-packages."""

import black

SOURCE = "def f(a,b = 1, *args, **kw):\n  return {'a':a,'b':[b,b ,b]}\nx=f( 1 ,2)\n"

print(black.format_str(SOURCE, mode=black.Mode()), end="")
print(black.format_str(SOURCE, mode=black.Mode(line_length=20)), end="")
try:
    black.format_str("def (:\n", mode=black.Mode())
except black.InvalidInput as e:
    print("invalid", str(e).splitlines()[0])
print("compiled", black.COMPILED if hasattr(black, "COMPILED") else "?")
