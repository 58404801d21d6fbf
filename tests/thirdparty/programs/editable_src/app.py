"""An editable src-layout install (its __editable__ .pth points at src/): the frozen program
carries its code, its data file and its metadata."""

from importlib import metadata

import srclib

print(srclib.describe())
print("requires", metadata.distribution("fzt-srclib").metadata["Name"])
