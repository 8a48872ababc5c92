"""Skip helpers for the edge tests: skip only when an external tool is absent."""
import shutil

import pytest

from hub_export import tfjs


def skip_unless_node_packages():
    """Skips unless node and the npm packages of package.json are installed."""
    if shutil.which("node") is None:
        pytest.skip(f"node is not installed: {tfjs.NODE_INSTALL}")
    try:
        tfjs.find_tfjs_package()
    except FileNotFoundError:
        pytest.skip(f"npm packages are not installed: {tfjs.NPM_INSTALL}")
