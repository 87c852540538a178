"""An offline 3-D viewer: the vendored 3Dmol.js inside an anywidget, no CDN.

The widget's module is the vendored ES build of 3Dmol.js followed by a `render` that draws the
PDB text as a cartoon coloured by secondary structure (3Dmol assigns it when the file has no
HELIX/SHEET records) or by the B-factor column (ESMFold writes pLDDT there).
"""

from __future__ import annotations

import functools
import gzip
from typing import Any

from .structures import ASSETS, require

SCRIPT = "3Dmol.es6-min.js.gz"
COLOR_BY = ("secondary structure", "pLDDT (B-factor)")

RENDER = """
export default {
  render({ model, el }) {
    const box = document.createElement("div");
    box.style.position = "relative";
    box.style.width = "100%";
    box.style.height = model.get("height") + "px";
    el.appendChild(box);
    const viewer = createViewer(box, { backgroundColor: "white" });
    function draw() {
      viewer.clear();
      viewer.addModel(model.get("pdb"), "pdb");
      const [lo, hi] = model.get("b_range");
      const byB = model.get("color_by") === "plddt";
      const scheme = byB ? { prop: "b", gradient: "roygb", min: lo, max: hi } : "ssJmol";
      viewer.setStyle({}, { cartoon: { colorscheme: scheme } });
      viewer.zoomTo();
      viewer.render();
      el.dataset.atoms = String(viewer.getModel().selectedAtoms({}).length);
    }
    draw();
    model.on("change:pdb", draw);
    model.on("change:color_by", draw);
    return () => viewer.clear();
  },
};
"""


@functools.cache
def module_source() -> str:
    """The widget's ES module: vendored 3Dmol.js, then our render."""
    script = gzip.decompress((ASSETS / SCRIPT).read_bytes()).decode("utf-8")
    return script + "\n" + RENDER


@functools.cache
def _widget_class() -> type:
    anywidget = require("anywidget", "the 3-D viewer")
    import traitlets

    class Mol3D(anywidget.AnyWidget):
        _esm = module_source()
        pdb = traitlets.Unicode("").tag(sync=True)
        color_by = traitlets.Unicode("ss").tag(sync=True)
        b_range = traitlets.List([0.0, 100.0]).tag(sync=True)
        height = traitlets.Int(360).tag(sync=True)

    return Mol3D


def b_range(pdb: str) -> list[float]:
    """0..1 where the B-factors are fractions (transformers' ESMFold pLDDT), else 0..100."""
    values = [float(line[60:66]) for line in pdb.splitlines() if line.startswith("ATOM")]
    return [0.0, 1.0] if values and max(values) <= 1.0 else [0.0, 100.0]


def viewer(pdb: str, color_by: str = "ss", height: int = 360) -> Any:
    """A Mol3D widget showing `pdb` (wrap it with `mo.ui.anywidget` in a notebook)."""
    return _widget_class()(pdb=pdb, color_by=color_by, b_range=b_range(pdb), height=height)


def pdb_text(structure: Any) -> str:
    """A Structure's atoms as PDB text for the viewer."""
    import io

    from biotite.structure.io import pdb

    file = pdb.PDBFile()
    file.set_structure(structure.atoms)
    buffer = io.StringIO()
    file.write(buffer)
    return buffer.getvalue()
