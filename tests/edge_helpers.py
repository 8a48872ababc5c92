"""Helpers shared by the edge-conversion tests (tests/hub_export).

Tests skip only when an external tool is absent; tests/run.sh installs them all.
"""
import shutil

import pytest

from hub_export import tfjs
from hub_export.web import browser, site


def skip_unless_node_packages():
    """Skips unless node and the npm packages of package.json are installed."""
    if shutil.which("node") is None:
        pytest.skip(f"node is not installed: {tfjs.NODE_INSTALL}")
    try:
        tfjs.find_tfjs_package()
    except FileNotFoundError:
        pytest.skip(f"npm packages are not installed: {tfjs.NPM_INSTALL}")


def render_site(site_dir, query, screenshot, **render_options):
    """Serves ``site_dir`` on 127.0.0.1, renders ``index.html?query`` in headless
    Chromium with pixel readback, saves the screenshot (its path is printed, to
    look at with ``pytest -s``) and returns the page's report.
    ``render_options`` go to ``browser.render`` (``search``, ``repeat``)."""
    skip_unless_node_packages()
    try:
        browser.find_chromium()
    except FileNotFoundError as err:
        pytest.skip(str(err))
    server, url = site.serve(site_dir, port=0)
    try:
        report = browser.render(url + query, screenshot, pixels=True, **render_options)
    finally:
        server.shutdown()
        server.server_close()
    print(f"screenshot: {screenshot}")
    return report
