"""Extension modules whose imports are made from C, imported first, as compiled code does.

A --pruned build carries only what the analysis sees; each of these failed frozen that way
before the edges were known (ModuleNotFoundError, or zoneinfo falling back to a pure-Python
twin that was left out).
"""

import _elementtree  # pyexpat's C API, at init
import _json  # json.decoder.JSONDecodeError, raised from C
import _ssl  # _socket's C API, at init
import _zoneinfo  # zoneinfo._common, zoneinfo._tzpath, datetime's C API, weakref, at init
import io
import struct
import time
from datetime import datetime

# A TZif (version 1) file of one fixed offset, so no zone files are needed.
TZIF = b"TZif" + b"\0" * 16 + struct.pack(">6l", 0, 0, 0, 0, 1, 4) + \
    struct.pack(">lBB", 7200, 0, 0) + b"+02\0"

import zoneinfo  # noqa: E402

zone = _zoneinfo.ZoneInfo.from_file(io.BytesIO(TZIF), key="Test/Plus2")
print("zoneinfo C class:", zoneinfo.ZoneInfo is _zoneinfo.ZoneInfo)
when = datetime(2024, 3, 10, 12, tzinfo=zone)
print("zone:", when.utcoffset(), when.tzname(), zone.key)

parser = _elementtree.XMLParser(target=_elementtree.TreeBuilder())
parser.feed("<a><b x='1'/></a>")
root = parser.close()
print("etree:", root.tag, [(c.tag, c.attrib) for c in root])

try:
    _json.scanstring('"unterminated', 1)
except (ValueError, SystemError) as e:  # 3.10-3.11 only look json.decoder up, unimported
    print("json:", type(e).__module__, type(e).__name__)

print("ssl:", hasattr(_ssl, "_SSLContext"))
print("strptime:", time.strptime("2024-03-10", "%Y-%m-%d")[:3])

# The CJK codecs load their other tables from C: JIS X 0208, KS X 1001, GB2312, Big5.
for text, codec in [("日本語", "iso2022_jp"), ("한국어", "iso2022_kr"),
                    ("中文", "iso2022_jp_2"), ("香港", "big5hkscs")]:
    data = text.encode(codec)
    print("codec:", codec, data.hex(), data.decode(codec) == text)
