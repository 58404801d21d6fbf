"""Pure-data stdlib, including its C accelerators and the libraries behind them.

json, datetime, decimal, fractions, zlib/lzma/bz2/gzip, base64, struct, unicodedata, every
lazily-imported codec family, xml (expat), uuid, csv, re, random, statistics, and text files
opened with the default encoding.
"""

from __future__ import annotations

import base64
import bz2
import calendar
import codecs
import csv
import datetime as dt
import decimal
import fractions
import gzip
import hashlib
import io
import json
import lzma
import math
import os
import pickle
import random
import re
import statistics
import struct
import sys
import tempfile
import unicodedata
import uuid
import xml.etree.ElementTree as ET
import zlib
from xml.dom import minidom

TEXT = ("héllo wörld ✓ 日本 " * 200).encode("utf-8")


def show(label: str, value: object) -> None:
    print(f"{label}: {value!r}")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def section_json() -> None:
    doc = {"name": "wörld ✓", "n": [1, 2.5, None, True], "nested": {"日本": "語"}}
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, indent=1)
    print(text)
    show("json ascii", json.dumps(doc, sort_keys=True))
    show("json roundtrip", json.loads(text) == doc)
    show("json float", json.loads("[1e400, -0.0, 3.141592653589793]"))
    show("json C scanner", json.scanner.c_make_scanner is not None)


def section_datetime() -> None:
    tz = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")
    stamp = dt.datetime(2024, 2, 29, 13, 45, 7, 123456, tzinfo=tz)
    show("iso", stamp.isoformat())
    show("utc", stamp.astimezone(dt.timezone.utc).isoformat())
    show("strftime", stamp.strftime("%A %d %B %Y %j %H:%M:%S.%f %z %Z"))
    show("parsed", dt.datetime.strptime("2023-12-31 23:59", "%Y-%m-%d %H:%M"))
    show("fromiso", dt.date.fromisoformat("2020-01-15") + dt.timedelta(days=400))
    show("isocalendar", tuple(dt.date(2021, 1, 3).isocalendar()))
    show("timestamp", dt.datetime(2001, 9, 9, 1, 46, 40, tzinfo=dt.timezone.utc).timestamp())
    print(calendar.month(2024, 2))


def section_numbers() -> None:
    ctx = decimal.Context(prec=50)
    show("1/7", ctx.divide(decimal.Decimal(1), decimal.Decimal(7)))
    show("sqrt2", ctx.sqrt(decimal.Decimal(2)))
    show("0.1+0.2", decimal.Decimal("0.1") + decimal.Decimal("0.2"))
    show("quantize", decimal.Decimal("2.675").quantize(decimal.Decimal("0.01"),
                                                        rounding=decimal.ROUND_HALF_EVEN))
    show("C decimal", "_decimal" in sys.modules)
    show("fraction", fractions.Fraction(3, 7) + fractions.Fraction(1, 3))
    show("math", (math.factorial(25), math.gcd(462, 1071), round(math.erf(0.5), 12)))
    rng = random.Random(20240229)
    show("random", [rng.randint(0, 1000) for _ in range(5)] + [rng.random()])
    show("shuffle", rng.sample(range(100), 7))
    show("stats", (statistics.mean([1, 2, 3, 4.5]), statistics.median([5, 1, 9, 3])))
    show("pickle C", pickle.Pickler.__module__)
    blob = pickle.dumps({"k": [1, 2, (3, 4)], "d": decimal.Decimal("1.5")}, protocol=4)
    show("pickle", (len(blob), pickle.loads(blob)))


def section_compression() -> None:
    for name, module in (("zlib", zlib), ("bz2", bz2), ("lzma", lzma)):
        packed = module.compress(TEXT)
        show(name, (len(packed), digest(packed), module.decompress(packed) == TEXT))
    show("crc32", zlib.crc32(TEXT))
    show("adler32", zlib.adler32(TEXT))
    gz = gzip.compress(TEXT, mtime=0)
    show("gzip", (len(gz), gzip.decompress(gz) == TEXT))
    xz = lzma.compress(TEXT, format=lzma.FORMAT_XZ, check=lzma.CHECK_SHA256)
    show("xz sha256 check", lzma.decompress(xz) == TEXT)


def section_text() -> None:
    show("b64", base64.b64encode("ünï ✓".encode()).decode())
    show("b85", base64.b85encode(b"\x00\xffbinary"))
    show("struct", struct.pack("<iHd3s", -2, 65535, 1.5, b"abc").hex())
    show("unidata", unicodedata.unidata_version)
    show("uname", [unicodedata.name(c) for c in "é✓日"])
    show("nfd", unicodedata.normalize("NFD", "é").encode("utf-8"))
    for encoding, sample in (
        ("cp1252", "€ é"),
        ("latin-1", "ÿé"),
        ("shift_jis", "日本語"),
        ("euc_jp", "日本語"),
        ("gb2312", "中文"),
        ("big5", "中文"),
        ("euc_kr", "한국어"),
        ("koi8_r", "привет"),
        ("utf-16-le", "✓"),
        ("utf-32", "✓"),
        ("idna", "bücher.example"),
        ("punycode", "bücher"),
    ):
        encoded = sample.encode(encoding)
        show(encoding, (encoded, encoded.decode(encoding) == sample))
    show("rot13", codecs.encode("Hello", "rot13"))
    show("hex codec", codecs.decode("68c3a9", "hex"))
    match = re.match(r"(?P<word>\w+)\s+(?P<num>\d+)", "wörld 42 rest")
    show("re", match.groupdict() if match else None)
    show("re sub", re.sub(r"[aeiouö]", "_", "héllo wörld", flags=re.IGNORECASE))


def section_structured() -> None:
    root = ET.fromstring("<r a='1'><c>ünï</c><c b='2'>✓</c></r>")
    show("etree", [(c.tag, c.text, sorted(c.attrib.items())) for c in root])
    show("etree out", ET.tostring(root, encoding="unicode"))
    show("minidom", minidom.parseString("<a><b>x</b></a>").documentElement.toxml())
    show("uuid5", uuid.uuid5(uuid.NAMESPACE_DNS, "example.org"))
    show("uuid3", uuid.uuid3(uuid.NAMESPACE_URL, "https://example.org/ü"))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([["a", "b,c", 'say "hi"'], ["ü", "", "✓"]])
    show("csv", out.getvalue())
    show("csv back", list(csv.reader(io.StringIO(out.getvalue()))))


def section_files() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "ünï ✓.txt")
        # No encoding given: the default text encoding must be UTF-8 under python here (LANG is
        # C.UTF-8) and in the binary (UTF-8 mode) alike.
        with open(path, "w") as handle:
            handle.write("héllo ✓ 日本\n")
        with open(path, "rb") as handle:
            show("file bytes", handle.read())
        with open(path) as handle:
            show("file text", handle.read())
        show("listdir", os.listdir(directory))
        wrapper = io.TextIOWrapper(io.BytesIO())
        wrapper.write("✓")
        wrapper.flush()
        show("TextIOWrapper bytes", wrapper.buffer.getvalue())


for section in (section_json, section_datetime, section_numbers, section_compression,
                section_text, section_structured, section_files):
    print(f"== {section.__name__}")
    section()
