"""SyntaxErrors of code compiled at run time, reported as python's C printer reports them:
caught ones printed by traceback (the module's own text), uncaught ones by the printer,
whose caret line differs from the module's on 3.10-3.12 (one `^` under `pass`)."""

import sys
import threading
import traceback

SNIPPETS = {
    "indent": "if True:\npass",
    "unclosed": "x = (1,\n2,\n",
    "tabs": "def f():\n\tif x:\n\treturn 1\n",
    "walrus": "f(a := 1 for a in b)",
    "unicode": "naïve = 'ü' +* 2",
    "eof": "for i in range(3):",
}

try:
    compile(SNIPPETS["unclosed"], "<caught>", "exec")
except SyntaxError:
    traceback.print_exc()

mode = sys.argv[1] if len(sys.argv) > 1 else "indent"
print("compiling", mode, flush=True)
if mode == "thread":
    thread = threading.Thread(target=exec, args=(SNIPPETS["indent"],), name="compiler")
    thread.start()
    thread.join()
    print("thread done", flush=True)
elif mode == "chained":
    try:
        exec(SNIPPETS["walrus"])
    except SyntaxError as error:
        raise RuntimeError("could not load the rule ✓") from error
elif mode == "file":
    exec(compile(SNIPPETS["tabs"], "rules.py", "exec"))
else:
    exec(SNIPPETS[mode])
