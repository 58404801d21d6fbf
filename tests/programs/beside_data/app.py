"""Reads the files beside it, as a program run from its own directory finds them: by
`__file__`, through a literal name of a file and of a directory (freeze bundles both, as the
code names them), then fails, so the traceback shows the script's name."""

import json
import os
from pathlib import Path

HERE = Path(__file__).parent
config = json.loads((HERE / "config.json").read_text(encoding="utf-8"))
print("config", config)
words = sorted(p.name for p in (HERE / "words").iterdir())
print("words", words)
for name in words:
    print(name, (HERE / "words" / name).read_text(encoding="utf-8").strip())
with open(os.path.join(os.path.dirname(__file__), "greeting.txt"), encoding="utf-8") as f:
    print(f.read().strip())
raise LookupError(config["missing"])
