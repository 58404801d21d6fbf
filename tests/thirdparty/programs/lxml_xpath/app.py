"""lxml (libxml2 and libxslt inside): parse with namespaces, XPath with variables, build a
tree, XSLT, and the error for malformed XML."""

from lxml import etree

XML = """<?xml version="1.0" encoding="UTF-8"?>
<shop xmlns:p="urn:price">
  <item id="1" kind="fruit"><name>Äpfel</name><p:price>1.20</p:price></item>
  <item id="2" kind="veg"><name>Möhren</name><p:price>0.80</p:price></item>
  <item id="3" kind="fruit"><name>Birnen ✓</name><p:price>2.10</p:price></item>
</shop>""".encode()

XSLT = b"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text"/>
  <xsl:template match="/">
    <xsl:for-each select="//item"><xsl:value-of select="name"/>;</xsl:for-each>
  </xsl:template>
</xsl:stylesheet>"""


def main() -> None:
    root = etree.fromstring(XML)
    ns = {"p": "urn:price"}
    print("names", root.xpath("//item/name/text()"))
    print("fruit", root.xpath("//item[@kind=$k]/@id", k="fruit"))
    print("total", root.xpath("sum(//p:price)", namespaces=ns))
    print("count", int(root.xpath("count(//item)")))
    built = etree.Element("list")
    for name in root.iterfind(".//name"):
        etree.SubElement(built, "entry", length=str(len(name.text))).text = name.text
    print(etree.tostring(built, pretty_print=True, encoding="unicode"), end="")
    print("xslt", str(etree.XSLT(etree.fromstring(XSLT))(root)))
    try:
        etree.fromstring(b"<a><b></a>")
    except etree.XMLSyntaxError as exc:
        print("syntax error", exc.msg)


if __name__ == "__main__":
    main()
