# msgpack (a win_amd64 wheel with an extension module) and six (a pure py2.py3 wheel):
# their code, their .pyd and their metadata.
import importlib.metadata as md

import msgpack
import six

packed = msgpack.packb({"a": [1, 2, "ü"]})
print(packed, msgpack.unpackb(packed), six.PY3)
print(md.version("msgpack"), md.version("six"))
print(msgpack.Packer.__module__)
