"""Assemble and serve the static demo site.

Site layout written by ``build_site``::

    SITE_DIR/index.html, app.js, sampling.js, style.css   (this folder's page)
    SITE_DIR/tf.min.js          (from node_modules/@tensorflow/tfjs/dist; no CDN)
    SITE_DIR/tf-backend-wasm.min.js, tfjs-backend-wasm*.wasm
                                (from node_modules/@tensorflow/tfjs-backend-wasm/dist)
    SITE_DIR/model/model.json   (+ weight shards, and labels.json /
                                 model_card.json when present or given)
"""
import functools
import http.server
import json
import os
import pathlib
import shutil
import threading

from hub_export import tfjs
from hub_export.contract import MODEL_CARD_JSON
from tfbiggan.errors import InputError
from tfbiggan.paths import check_writable_folder, refuse_overlap

PAGE_DIR = pathlib.Path(__file__).resolve().parent
PAGE_FILES = ("index.html", "app.js", "sampling.js", "style.css")
WASM_FILES = ("tf-backend-wasm.min.js", "tfjs-backend-wasm.wasm",
              "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm")
# Cross-origin isolation lets the wasm backend use threads (SharedArrayBuffer);
# the page loads nothing from other origins, so it costs nothing.
ISOLATION_HEADERS = {"Cross-Origin-Opener-Policy": "same-origin",
                     "Cross-Origin-Embedder-Policy": "require-corp"}


def find_tf_min_js(search_from=None):
    """Path of ``tf.min.js`` in the installed ``@tensorflow/tfjs`` package.

    Raises:
      FileNotFoundError: the npm package is missing (the message names ``npm ci``).
    """
    path = tfjs.find_tfjs_package(search_from) / "dist" / "tf.min.js"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; reinstall with: {tfjs.NPM_INSTALL}")
    return path


def find_wasm_files(search_from=None):
    """Paths of the wasm backend's script and binaries in node_modules.

    Raises:
      FileNotFoundError: @tensorflow/tfjs-backend-wasm is missing (names ``npm ci``).
    """
    dist = (tfjs.find_tfjs_package(search_from).parent / "tfjs-backend-wasm" / "dist")
    paths = [dist / name for name in WASM_FILES]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"{missing[0]} is missing; install the npm packages with: "
                                f"{tfjs.NPM_INSTALL}")
    return paths


def _check_labels(path):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--labels={path} is not a file.")
    with open(path, encoding="utf-8") as f:
        try:
            labels = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise InputError(f"--labels={path} is not valid JSON ({err}).") from None
    if not isinstance(labels, (list, dict)):
        raise InputError(f"{path} must hold a list of class names or an object "
                         '{"<class id>": "name"}, not a ' + type(labels).__name__ + ".")


def build_site(model_dir, output_dir, labels=None, model_card=None, tf_min_js=None):
    """Writes the demo site for the TF.js graph model in ``model_dir``.

    Args:
      model_dir: folder with ``model.json`` and weight shards (from
        ``python -m hub_export.tfjs``); copied whole to ``output_dir/model``.
      output_dir: site folder; its ``model/`` is replaced, other files kept.
      labels: optional JSON file of class names, copied to ``model/labels.json``.
      model_card: optional JSON file with ``z_dim`` / ``num_classes``, copied to
        ``model/model_card.json``.
      tf_min_js: path of ``tf.min.js``; found in node_modules when None.
    Returns:
      ``output_dir`` as a ``pathlib.Path``.
    """
    model_dir = pathlib.Path(model_dir)
    if not (model_dir / "model.json").is_file():
        raise FileNotFoundError(f"No model.json in {str(model_dir)!r}; convert the "
                                "SavedModel with `python -m hub_export.tfjs` first.")
    refuse_overlap("--output", output_dir, [("--model", model_dir), ("--labels", labels),
                                            ("--model_card", model_card)])
    check_writable_folder("--output", output_dir)
    if labels:
        _check_labels(labels)
    if model_card and not os.path.isfile(model_card):
        raise FileNotFoundError(f"--model_card={model_card} is not a file.")
    tf_min_js = pathlib.Path(tf_min_js) if tf_min_js else find_tf_min_js()
    wasm = find_wasm_files()
    out = pathlib.Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in PAGE_FILES:
        shutil.copyfile(PAGE_DIR / name, out / name)
    shutil.copyfile(tf_min_js, out / "tf.min.js")
    for path in wasm:
        shutil.copyfile(path, out / path.name)
    if (out / "model").exists():
        shutil.rmtree(out / "model")
    shutil.copytree(model_dir, out / "model")
    if labels:
        shutil.copyfile(labels, out / "model" / "labels.json")
    if model_card:
        shutil.copyfile(model_card, out / "model" / MODEL_CARD_JSON)
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with explicit MIME types for module scripts and the
    cross-origin isolation headers; no request log."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
        ".bin": "application/octet-stream",
        ".wasm": "application/wasm",
    }

    def end_headers(self):
        for key, value in ISOLATION_HEADERS.items():
            self.send_header(key, value)
        super().end_headers()

    def log_message(self, format, *args):  # noqa: A002 (base-class signature)
        del format, args


class _LoggingHandler(_QuietHandler):
    """As _QuietHandler, but logs each request to stderr (for --serve)."""

    log_message = http.server.SimpleHTTPRequestHandler.log_message


def serve(site_dir, port=0, host="127.0.0.1", verbose=False):
    """Serves ``site_dir`` over HTTP from a daemon thread.

    Args:
      port: TCP port; 0 picks a free one.
      host: bind address; keep 127.0.0.1 unless the page must be reachable
        from other machines.
    Returns:
      ``(server, url)``; stop with ``server.shutdown(); server.server_close()``.
    """
    if not (pathlib.Path(site_dir) / "index.html").is_file():
        raise FileNotFoundError(f"No index.html in {str(site_dir)!r}; build the site "
                                "with `python -m hub_export.web --model=... --output=...`.")
    handler = functools.partial(_LoggingHandler if verbose else _QuietHandler,
                                directory=os.fspath(site_dir))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, name="edge-web-server", daemon=True)
    thread.start()
    return server, f"http://{host}:{server.server_address[1]}/"
