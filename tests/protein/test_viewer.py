"""The 3-D viewer: vendored 3Dmol.js draws a cartoon in Chromium with the network blocked."""

from __future__ import annotations

import http.server
import threading
from functools import partial
from pathlib import Path

import pytest
from PIL import Image
from playwright import sync_api

from gpulab.qa.runner.browser import CHROMIUM_FLAGS, chromium_path
from gpulab.workloads.protein import load_vendored, viewer

PAGE = """<!doctype html><html><body style="margin:0;background:white">
<div id="el" style="width:480px"></div>
<script type="module">
import widget from "./widget.js";
const pdb = await (await fetch("./structure.pdb")).text();
const values = { pdb, color_by: "ss", b_range: [0, 100], height: 360 };
const model = { get: (k) => values[k], on: () => {} };
widget.render({ model, el: document.getElementById("el") });
</script></body></html>"""


def test_module_is_the_vendored_library_plus_render() -> None:
    source = viewer.module_source()
    assert "createViewer" in source and "export default" in source
    assert "https://" not in viewer.RENDER  # nothing fetched from a CDN by our code


def test_b_range_follows_the_b_factor_scale() -> None:
    line = "ATOM      1  CA  MET A   1       0.000   0.000   0.000  1.00{:>6.2f}           C"
    assert viewer.b_range(line.format(45.0)) == [0.0, 100.0]
    assert viewer.b_range(line.format(0.5)) == [0.0, 1.0]


@pytest.mark.browser
def test_cartoon_renders_offline_in_chromium(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(PAGE)
    (tmp_path / "widget.js").write_text(viewer.module_source())
    (tmp_path / "structure.pdb").write_text(viewer.pdb_text(load_vendored("adk_open")))
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    blocked: list[str] = []

    def route(r: object) -> None:
        url = r.request.url  # type: ignore[attr-defined]
        if url.startswith("http://127.0.0.1:"):
            r.continue_()  # type: ignore[attr-defined]
        else:
            blocked.append(url)
            r.abort()  # type: ignore[attr-defined]

    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 520, "height": 400})
            page.route("**/*", route)
            page.goto(f"http://127.0.0.1:{server.server_port}/index.html")
            page.wait_for_selector("#el[data-atoms]", timeout=30_000)
            page.wait_for_timeout(500)
            shot = Path(__file__).parent.parent.parent / "reports" / "test-local" / "viewer.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot))
            atoms = int(page.get_attribute("#el", "data-atoms") or 0)
            browser.close()
    finally:
        server.shutdown()
    assert atoms == load_vendored("adk_open").atoms.array_length()
    pixels = Image.open(shot).convert("RGB").get_flattened_data()
    coloured = sum(1 for r, g, b in pixels if max(r, g, b) - min(r, g, b) > 60)
    assert coloured > 2000, f"no cartoon drawn ({coloured} coloured pixels); blocked: {blocked}"
