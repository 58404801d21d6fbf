import importlib.metadata as md
import msgpack, six
packed = msgpack.packb({"a": [1, 2, "ü"]})
print(packed, msgpack.unpackb(packed), six.PY3)
print(md.version("msgpack"), md.version("six"))
print(type(msgpack.Packer).__module__, msgpack.Packer.__module__)
