"""The SBOM's license fields from a distribution's METADATA, non-ASCII text included (a
License header naming its authors broke the build of every binary carrying mpmath)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from freezer import sbom


def test_license_with_non_ascii_text(tmp_path: Path) -> None:
    meta = tmp_path / "METADATA"
    meta.write_bytes("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"
                     "License: BSD (c) Jörg Ürlaub ✓\n".encode())
    analysis = SimpleNamespace(data={"demo-1.0.dist-info/METADATA": str(meta)})
    found = sbom.licenses(sbom._metadata(analysis, SimpleNamespace(dist_info="demo-1.0.dist-info")))
    assert found == [{"license": {"name": "BSD (c) Jörg Ürlaub ✓"}}]
