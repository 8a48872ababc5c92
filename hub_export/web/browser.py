"""Render the demo page in headless Chromium through playwright-core (Node).

Needs Debian's ``chromium`` (``apt-get install -y chromium``), Node.js and
``npm ci`` in the repository root (``package.json`` pins ``playwright-core``).
The browser runs with a fresh profile and with background networking, sync,
component updates and QUIC off; it only talks to the local server.
"""
import json
import os
import pathlib
import shutil
import subprocess
import tempfile

from hub_export import tfjs

RENDER_PAGE_JS = pathlib.Path(tfjs.__file__).resolve().parent / "js" / "render_page.mjs"
CHROMIUM_INSTALL = "apt-get update && apt-get install -y chromium"
_CHROMIUM_NAMES = ("chromium", "chromium-browser")


def find_chromium(chromium=None):
    """Path of the Chromium binary: ``chromium``, $CHROMIUM, or on PATH.

    Raises:
      FileNotFoundError: none found (the message names the apt package).
    """
    candidates = [chromium] if chromium else [os.environ.get("CHROMIUM"), *_CHROMIUM_NAMES]
    for name in filter(None, candidates):
        path = shutil.which(name)
        if path:
            return path
    raise FileNotFoundError(f"Chromium not found (looked for {[c for c in candidates if c]}). "
                            f"Install it with: {CHROMIUM_INSTALL}")


def find_playwright_core(search_from=None):
    """``node_modules`` folder that holds ``playwright-core``."""
    node_modules = tfjs.find_tfjs_package(search_from).parent.parent
    if not (node_modules / "playwright-core" / "package.json").is_file():
        raise FileNotFoundError(f"playwright-core is not in {node_modules}; run: "
                                f"{tfjs.NPM_INSTALL}")
    return node_modules


def render(url, screenshot_path, chromium=None, node=None, timeout_s=180, pixels=False,
           search=None, repeat=0):
    """Opens ``url`` headless, waits for the demo, screenshots it.

    Args:
      pixels: also return every canvas's RGB bytes (``canvases[i]['rgb']``,
        row-major [height, width, 3] flattened, 0..255).
      search: text to type into the class search box, then Enter (picks and
        draws the first match).
      repeat: clicks on Resample after the first grid, each timed.
    Returns:
      The page report: ``status`` ('ready' or 'error'), ``status_text``,
      ``demo`` (zDim, numClasses, backend, loadMs, firstMs, lastMs,
      lastInputs), ``canvases`` (per-canvas RGB min/max/mean/std/distinct
      colours, 0..255), ``console`` lines, ``search`` ({query, shown: labels
      left in the picker, picked: class id} or None) and ``repeat_ms``.
    """
    node_path = tfjs.find_node(node)
    chromium_path = find_chromium(chromium)
    node_modules = find_playwright_core()
    with tempfile.TemporaryDirectory(prefix="edge_render_") as tmp:
        result_path = os.path.join(tmp, "result.json")
        proc = subprocess.run(
            [node_path, str(RENDER_PAGE_JS), "--url", url,
             "--screenshot", os.path.abspath(screenshot_path), "--result", result_path,
             "--chromium", chromium_path, "--timeout_ms", str(int(timeout_s * 1000)),
             "--resolve_from", str(node_modules), "--pixels", "true" if pixels else "false",
             "--repeat", str(int(repeat))] + (["--search", search] if search else []),
            capture_output=True, text=True, timeout=timeout_s * (1 + repeat) + 60,
            check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"Rendering {url} in Chromium failed (exit {proc.returncode}):\n"
                               f"{proc.stderr.strip() or proc.stdout.strip()}")
        with open(result_path, encoding="utf-8") as f:
            return json.load(f)
