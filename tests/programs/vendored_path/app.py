"""sys.path entries naming a directory of a package: its modules import under their own
top-level names, in sys.path's order, as python finds them in that directory; and the
portions of a namespace package are gathered from all of them."""

import os
import shutil
import sys
import tempfile

import outer


def fresh_inner() -> str:
    for name in [n for n in sys.modules if n == "inner" or n.startswith("inner.")]:
        del sys.modules[name]
    import inner

    where = os.path.relpath(inner.__file__, os.path.dirname(outer.__file__))
    return f"{inner.which()} from {where.replace(os.sep, '/').rsplit('.', 1)[0]}"


outer.use_vendored(first=False)
print("appended:", fresh_inner())
sys.path.remove(outer.VENDORED)
outer.use_vendored(first=True)
print("prepended:", fresh_inner())

# A namespace package split between the binary, its vendored directory and a directory on
# disk put ahead of both: every portion is found, in sys.path's order.
external = tempfile.mkdtemp()
os.mkdir(os.path.join(external, "shared"))
with open(os.path.join(external, "shared", "gamma.py"), "w", encoding="utf-8") as f:
    f.write('WHERE = "on disk"\n')
sys.path.insert(0, external)
import shared.alpha  # noqa: E402
import shared.beta  # noqa: E402
import shared.gamma  # noqa: E402

print("portions", len(list(shared.__path__)), [m.WHERE for m in (shared.alpha, shared.beta,
                                                               shared.gamma)])
shutil.rmtree(external)
