"""The README's model example runs as written (the other snippets need a large
export; tests/hub_export runs the same calls on the tiny one)."""
import os
import re

import pytest

from cli_helpers import REPO


@pytest.mark.slow
def test_readme_models_example_runs_as_written():
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    section = readme[readme.index("## Models"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    scope = {}
    exec(compile(code, "README.md (## Models)", "exec"), scope)  # noqa: S102
    assert tuple(scope["images"].shape) == (4, 128, 128, 3)
    assert tuple(scope["logits"].shape) == (4,)
