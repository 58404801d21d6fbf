"""BeautifulSoup with the lxml tree builder (found by bs4 through an optional import of an
undeclared distribution) and soupsieve's CSS selectors."""

import bs4
from bs4 import BeautifulSoup

HTML = """<html><head><title>Preise ✓</title></head><body>
<ul id="fruit"><li class="x" data-p="3">Äpfel</li><li data-p="1">Birnen</li>
<li class="x" data-p="2">Möhren</li></ul><p>Ende<br>zeile</p></body></html>"""

soup = BeautifulSoup(HTML, "lxml")
print("builder", type(soup.builder).__name__)
print("title", soup.title.string)
print("items", [li.get_text() for li in soup.select("#fruit li.x")])
print("sorted", [li.get_text() for li in sorted(soup.find_all("li"), key=lambda t: t["data-p"])])
xml = BeautifulSoup("<r><a k='1'>x</a><a k='2'/></r>", "xml")
print("xml", [a["k"] for a in xml.find_all("a")], bs4.__version__ is not None)
