"""Completion and inference over the standard library with jedi (parso parses its sources).

jedi finds `json` through the import system and reads its source from the module's loader;
parso then takes the file's mtime for its cache. Frozen, the stdlib lives inside the binary,
as in a zip archive: the program must see the same names and definitions as under python.
"""

import jedi
import parso

source = "import json\nimport os.path\njson.du\nos.path.joi\n"
script = jedi.Script(source, path="example.py")
print("json", sorted(c.name for c in script.complete(3, 7)))
print("os.path", [c.name for c in script.complete(4, 11)])
inferred = jedi.Script("import os\nos.path.join").infer(2, 10)
print("infer", [d.full_name for d in inferred])
signatures = jedi.Script("import json\njson.dumps(").get_signatures(2, 11)
print("params", [p.name for p in signatures[0].params][:3])
module = parso.parse("def f(a, b=1):\n    return a + b\n")
print("parso", [n.type for n in module.children], module.children[0].name.value)
