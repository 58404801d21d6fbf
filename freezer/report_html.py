"""`--report FILE.html`: one self-contained page of what a binary holds, and why.

The page is made from the binary alone, as `freeze inspect` reads it (build_record.py): the
payload's directory gives the sizes (the bytes each entry takes in the file, as stored), the
build record the reason of each module, the warnings and the options. So the same page comes
from a build (`freeze app.py -o app --report app.html`) and from a binary found anywhere
(`freeze inspect --report app.html app`).

It loads nothing: the styles and the script are inline, and the data is one JSON island the
script reads. Every text of the binary (module names, paths, reasons: a program's own file
names can hold anything) is escaped, html.escape for the markup and JSON with <, > and &
as \\u escapes for the island; the script puts text in the page with textContent only.
When the script has run to its end it marks <body data-rendered="ok">, and an exception
marks data-error instead, which is what tests look for.
"""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from pathlib import Path

from freezer.build_record import Contents
from freezer.errors import FreezeError
from freezer.inspection import (
    NATIVE_PREFIX,
    chain,
    describe_options,
    kind_of,
    open_binary,
    owner_of,
)
from freezer.progress import megabytes

PROGRAM_GROUP = "the program, the standard library and CPython"
_MODULE_FILE = re.compile(r"^(?P<stem>[^.]+)(?:\.[\w-]+)*\.(?:py|pyc|so)$")


def module_of(name: str) -> str | None:
    """The dotted module an entry's file is the code of (rich/__pycache__/table.cpython-311
    .pyc is rich.table), or None for a data file."""
    parts = [p for p in name.split("/") if p != "__pycache__"]
    match = _MODULE_FILE.match(parts[-1])
    if match is None or not all(p.isidentifier() for p in parts[:-1]):
        return None
    parts[-1] = match.group("stem")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) or None


def note_of(name: str, owner: str, module: str | None) -> str:
    """What a leaf that is no module's code is there for (a module's leaf shows its chain)."""
    if module:
        return ""
    if name.startswith(NATIVE_PREFIX):
        return ("a shared library, CPython's or the system's, that libpython or an extension "
                "module of the binary links to (unpacked to the cache when first loaded)")
    if name.startswith("__freezer__/store/"):
        return ("the module store: the bytecode (code.zst) or the sources (stdlib-src.zst) of "
                "the standard library and of freezer's runtime, in one entry")
    if name.startswith("__freezer__/"):
        return "freezer's own record of the build, read by the bootloader or by freeze inspect"
    if owner:
        return f"a file of the distribution {owner}, which is bundled whole"
    return "a file of the program or the standard library, where its code looks for it"


def tree(found: Contents, record: dict) -> dict:
    """The treemap's data: distribution -> package -> module (or file), each leaf the sum of
    the stored sizes of its entries, with the module whose why-chain it shows."""
    tops: dict[str, str] = {}
    for dist in record.get("dists", []):
        for top in dist["tops"]:
            tops[top] = dist["name"]
        tops[dist["dist_info"]] = dist["name"]
    modules = record.get("modules", {})
    leaves: dict[tuple[str, str, str], list] = defaultdict(lambda: [0, None, ""])
    for name, stored, _ in found.entries:
        if name.endswith("/") or stored == 0:
            continue
        owner = owner_of(name, tops) if record else ""
        if name.startswith("__freezer__/"):
            package = kind_of(name)
            leaf = name.rsplit("/", 1)[-1] if name.startswith(NATIVE_PREFIX) else name
            module = None
        else:
            package = name.split("/")[0].split(".")[0] if "/" not in name else \
                name.split("/")[0]
            module = module_of(name)
            if module not in modules:
                module = None
            leaf = module or name
        leaves[(owner, package, leaf)][0] += stored
        leaves[(owner, package, leaf)][1] = module
        leaves[(owner, package, leaf)][2] = note_of(name, owner, module)
    versions = {d["name"]: d["version"] for d in record.get("dists", [])}
    root: dict = {"name": "", "children": {}}
    for (owner, package, leaf), (size, module, note) in leaves.items():
        group = f"{owner} {versions[owner]}" if owner else PROGRAM_GROUP
        dist = root["children"].setdefault(group, {"name": group, "children": {}})
        pack = dist["children"].setdefault(package, {"name": package, "children": {}})
        pack["children"][leaf] = {"name": leaf, "size": size, "module": module, "note": note}
    return _listed(root)


def _listed(node: dict) -> dict:
    """Children as lists, largest first, each node with its total size."""
    if "children" not in node:
        return node
    children = sorted((_listed(c) for c in node["children"].values()),
                      key=lambda c: (-c["size"], c["name"]))
    return {"name": node["name"], "size": sum(c["size"] for c in children),
            "children": children}


def render(found: Contents, title: str) -> str:
    """The page's HTML."""
    record = found.record or {}
    modules = record.get("modules", {})
    data = {
        "tree": tree(found, record),
        "chains": {name: chain(record, name) for name in sorted(modules)},
        "owners": {name: m[1] or {"program": "the program", "stdlib": "standard library",
                                   "runtime": "freezer's runtime"}.get(m[0], m[0])
                   for name, m in modules.items()},
    }
    island = json.dumps(data, sort_keys=True, separators=(",", ":"))
    island = island.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _PAGE.format(
        title=html.escape(title),
        summary=_summary(found, record),
        options=_options(record),
        warnings=_items(record.get("warnings", []), "The build gave no warnings."),
        left_out=_items([f"{i['name']}: {i['why']}" for i in record.get("left_out", [])]
                        + [f"{n}: --pruned, no import of it was seen"
                           for n in record.get("dropped", [])],
                        "Nothing was left out."),
        damage=_items(found.damage + [f"note: {n}" for n in found.notes],
                      "Intact." if found.zipapp else
                      "Intact: checksum and every entry's CRC match."),
        style=_STYLE, script=_SCRIPT, data=island)


def _summary(found: Contents, record: dict) -> str:
    rows = [("size", megabytes(found.size) + f" ({found.size} bytes, "
             f"{len(found.entries)} payload entries)")]
    if record:
        target = record["target"]
        rows += [("built by", f"freezer {record['freezer']}"),
                 ("target", f"{target['platform']}, CPython {target['python']} (built from "
                            f"{target['executable']})")]
        glibc = record["glibc"]
        if glibc["version"]:
            rows.append(("glibc", f"{glibc['version']} or newer ({glibc['by']})"))
        modules = record["modules"]
        rows.append(("modules", f"{len(modules)} bundled, {len(record['cold'])} more "
                                "standard-library modules as sources"))
        rows.append(("distributions", ", ".join(f"{d['name']} {d['version']}"
                                                for d in record["dists"]) or "none"))
        unpacked = record["unpacked"]
        if unpacked["first_start"]:
            rows.append(("cache", f"a first start writes {megabytes(unpacked['first_start'])}"
                                  f", up to {megabytes(unpacked['at_most'])}"))
    return "\n".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                     for k, v in rows)


def _options(record: dict) -> str:
    if not record:
        return "<p>No build record: the options are unknown.</p>"
    options = record["options"]
    rows = [("command line", "freeze " + describe_options(options))]
    for key in sorted(options):
        value = options[key]
        shown = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
        rows.append((key, shown))
    return "<table>" + "\n".join(
        f"<tr><th>{html.escape(k)}</th><td><code>{html.escape(v)}</code></td></tr>"
        for k, v in rows) + "</table>"


def _items(lines: list[str], empty: str) -> str:
    if not lines:
        return f"<p>{html.escape(empty)}</p>"
    return "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"


def check(report: Path) -> None:
    """Refuse a page that could not be written, before the build rather than after it."""
    where = report.absolute().parent
    if report.is_dir():
        raise FreezeError(f"--report {report}: is a directory (give the page's file name)")
    if not where.is_dir():
        raise FreezeError(f"--report {report}: directory {where} does not exist")


def write(report: Path, binary: str) -> None:
    """Write the page of `binary` to `report` (whole or not at all)."""
    check(report)
    page = render(open_binary(binary), Path(binary).name)
    partial = report.with_name(report.name + ".part")
    try:
        partial.write_text(page, encoding="utf-8")
        partial.replace(report)
    except OSError as e:
        partial.unlink(missing_ok=True)
        raise FreezeError(f"--report {report}: cannot write it ({e.strerror})") from None


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0 24px 24px;color:#222;background:#fafafa}
h1{font-size:20px;margin:16px 0 8px}h2{font-size:16px;margin:20px 0 6px}
table{border-collapse:collapse}th{text-align:left;padding:2px 12px 2px 0;vertical-align:top}
td{padding:2px 0}code{font-size:12px}
#treemap{position:relative;height:480px;background:#fff;border:1px solid #ccc}
.node{position:absolute;box-sizing:border-box;overflow:hidden;border:1px solid #fff;
font-size:11px;white-space:nowrap;cursor:pointer}
.node.dist{border-color:#444}.node.dist>.label{font-weight:bold;color:#fff;padding:1px 3px}
.node.package{border-color:rgba(0,0,0,.35)}.node.package>.label{padding:0 2px}
.node.leaf:hover,.node.leaf.selected{outline:2px solid #000;z-index:2}
.label{pointer-events:none;text-overflow:ellipsis;overflow:hidden}
#chosen{min-height:3em;background:#fff;border:1px solid #ccc;padding:6px 10px;margin-top:8px}
#chosen ol,#whys ol{margin:2px 0;padding-left:22px;font-family:monospace;font-size:12px}
#whys details{margin:1px 0}#whys summary{cursor:pointer;font-family:monospace}
#filter{width:320px;margin-bottom:6px}
"""

_SCRIPT = r"""
"use strict";
window.addEventListener("error", function (e) {
  document.body.setAttribute("data-error", String(e.message));
});
(function () {
  var data = JSON.parse(document.getElementById("data").textContent);
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function mb(size) {
    return size >= 1e5 ? (size / 1e6).toFixed(1) + " MB" : (size / 1e3).toFixed(1) + " kB";
  }
  // Squarified layout (Bruls, Huizing, van Wijk): rows of rectangles near to squares.
  function worst(row, side) {
    var sum = 0, max = 0, min = Infinity;
    row.forEach(function (r) {
      sum += r.area; max = Math.max(max, r.area); min = Math.min(min, r.area);
    });
    return Math.max(side * side * max / (sum * sum), sum * sum / (side * side * min));
  }
  function place(row, box, out) {
    var sum = 0;
    row.forEach(function (r) { sum += r.area; });
    if (box.w >= box.h) {
      var cw = sum / box.h, y = box.y;
      row.forEach(function (r) {
        out.push({node: r.node, x: box.x, y: y, w: cw, h: r.area / cw}); y += r.area / cw;
      });
      return {x: box.x + cw, y: box.y, w: box.w - cw, h: box.h};
    }
    var rh = sum / box.w, x = box.x;
    row.forEach(function (r) {
      out.push({node: r.node, x: x, y: box.y, w: r.area / rh, h: rh}); x += r.area / rh;
    });
    return {x: box.x, y: box.y + rh, w: box.w, h: box.h - rh};
  }
  function squarify(children, box) {
    var total = 0, out = [], row = [];
    children.forEach(function (c) { total += c.size; });
    if (total <= 0 || box.w <= 0 || box.h <= 0) return out;
    var rest = children.map(function (c) {
      return {node: c, area: c.size * box.w * box.h / total};
    });
    while (rest.length) {
      var side = Math.min(box.w, box.h);
      if (row.length === 0 || worst(row.concat([rest[0]]), side) <= worst(row, side)) {
        row.push(rest.shift());
      } else {
        box = place(row, box, out);
        row = [];
      }
    }
    if (row.length) place(row, box, out);
    return out;
  }
  var map = document.getElementById("treemap");
  var chosen = document.getElementById("chosen");
  var selected = null;
  function show(leaf, path, div) {
    if (selected) selected.classList.remove("selected");
    selected = div;
    div.classList.add("selected");
    chosen.textContent = "";
    chosen.appendChild(el("div", "", path.join(" \u2192 ") + " (" + mb(leaf.size) + ")"));
    var lines = leaf.module ? data.chains[leaf.module] : null;
    if (lines) {
      var ol = el("ol");
      lines.forEach(function (line) { ol.appendChild(el("li", "", line)); });
      chosen.appendChild(ol);
    } else {
      chosen.appendChild(el("div", "", leaf.note));
    }
  }
  var hues = [210, 30, 120, 280, 0, 170, 60, 320, 90, 240, 15, 190];
  function draw(node, box, depth, hue, path) {
    var kinds = ["dist", "package", "leaf"];
    var div = el("div", "node " + kinds[depth]);
    div.style.left = box.x + "px"; div.style.top = box.y + "px";
    div.style.width = box.w + "px"; div.style.height = box.h + "px";
    var light = depth === 0 ? 38 : depth === 1 ? 62 : 80;
    div.style.background = "hsl(" + hue + ",45%," + light + "%)";
    div.setAttribute("data-name", node.name);
    div.setAttribute("data-size", String(node.size));
    div.title = path.concat([node.name]).join(" \u2192 ") + ": " + mb(node.size);
    // A module's label is its last name (the map's nesting says the rest; the title all).
    var label = node.module ? node.name.slice(node.name.lastIndexOf(".") + 1) : node.name;
    if (box.w > 30 && box.h > 13) div.appendChild(el("div", "label", label));
    map.appendChild(div);
    if (!node.children) {
      if (node.module) div.setAttribute("data-module", node.module);
      div.addEventListener("click", function () { show(node, path.concat([node.name]), div); });
      return;
    }
    var head = box.h > 40 && box.w > 40 ? 15 : 0;
    var inner = {x: box.x + 2, y: box.y + head + 1, w: box.w - 4, h: box.h - head - 3};
    squarify(node.children, inner).forEach(function (r) {
      if (r.w >= 0.5 && r.h >= 0.5) draw(r.node, r, depth + 1, hue, path.concat([node.name]));
    });
  }
  var rects = squarify(data.tree.children, {x: 0, y: 0, w: map.clientWidth, h: map.clientHeight});
  rects.forEach(function (r, i) { draw(r.node, r, 0, hues[i % hues.length], []); });
  // Show one chain from the start: the largest leaf that is a module's code.
  var best = null;
  Array.prototype.forEach.call(map.querySelectorAll(".node.leaf[data-module]"), function (d) {
    var size = Number(d.getAttribute("data-size"));
    if (!best || size > Number(best.getAttribute("data-size"))) best = d;
  });
  if (best) best.click();
  // Every module's why-chain, the same lines as `freeze why OUT MODULE`.
  var whys = document.getElementById("whys");
  Object.keys(data.chains).sort().forEach(function (name) {
    var details = el("details");
    details.id = "why-" + name;
    details.appendChild(el("summary", "", name + " (" + data.owners[name] + ")"));
    var ol = el("ol");
    data.chains[name].forEach(function (line) { ol.appendChild(el("li", "", line)); });
    details.appendChild(ol);
    whys.appendChild(details);
  });
  document.getElementById("filter").addEventListener("input", function (e) {
    var word = e.target.value.toLowerCase();
    Array.prototype.forEach.call(whys.children, function (d) {
      d.hidden = word !== "" && d.id.toLowerCase().indexOf(word) < 0;
    });
  });
  document.body.setAttribute("data-rendered", "ok");
})();
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>freezer report: {title}</title>
<style>{style}</style>
</head>
<body>
<h1>freezer report: {title}</h1>
<table id="summary">
{summary}
</table>
<h2>Size: distribution &#8594; package &#8594; module (bytes as stored in the file)</h2>
<div id="treemap"></div>
<div id="chosen">Click a module of the map for the chain of imports that brought it in.</div>
<h2>Warnings</h2>
<div id="warnings">{warnings}</div>
<h2>Build options</h2>
<div id="options">{options}</div>
<h2>Why each module is in it</h2>
<input id="filter" type="search" placeholder="filter modules by name">
<div id="whys"></div>
<h2>Left out</h2>
<div id="left-out">{left_out}</div>
<h2>Integrity</h2>
<div id="integrity">{damage}</div>
<script type="application/json" id="data">{data}</script>
<script>{script}</script>
</body>
</html>
"""
