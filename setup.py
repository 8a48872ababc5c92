"""tfbiggan: BigGAN and BigGAN-deep for TensorFlow 2 and Keras 3.

Pins follow ../shared/reference/toolchain.md (TF 2.21 family). The reasons for
each dependency are in WORKSPACE.md.
"""
import os
import re

from setuptools import find_packages, setup

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "tfbiggan", "__init__.py"),
          encoding="utf-8") as f:
    VERSION = re.search(r'^__version__ = "([^"]+)"', f.read(), re.M).group(1)

INSTALL_REQUIRES = [
    "tensorflow==2.21.0",
    "keras==3.15.1",
    "tf_keras==2.21.0",          # tensorflow-hub needs it once tf.keras is Keras 3
    "tensorflow-hub==0.16.1",
    "tensorflow-datasets==4.9.10",
    "setuptools<82",             # tensorflow-hub 0.16.1 imports pkg_resources
    "absl-py>=2.1,<3",
    "tensorboard>=2.20,<2.22",   # no longer pulled in by TF 2.21
    "scikit-learn>=1.5,<2",      # ships the digits dataset used by the CPU demo
    "scipy>=1.13,<2",            # float64 matrix square root for FID
    "matplotlib>=3.8,<4",        # sample grids and truncation curves as PNG
    "pillow>=10,<14",            # image folders: TIFF and 16-bit grey decoding
    "numpy>=1.26,<3",
    # tensorflow-datasets imports it to prepare any dataset (the digits demo
    # included) but does not declare it.
    "importlib_resources==7.1.0",
]

EXTRAS = {
    # torch and hf's pytorch-pretrained-biggan: the official-weights tests
    # check the importer against hf's own converter and BigGAN class (CPU
    # torch; pip picks a local +cpu wheel where one is configured).
    # nbclient + ipykernel execute examples/*.ipynb from a clean kernel.
    # hypothesis generates the bad command lines of tests/cli/test_cli_generated.py.
    # pytest-xdist runs the test files on both cores (tests/run.sh).
    "test": ["pytest>=8,<10", "pytest-timeout>=2.3,<3", "pytest-xdist>=3.5,<4",
             "hypothesis>=6.100,<7",
             "torch==2.13.0",
             "pytorch-pretrained-biggan==0.1.1", "nbclient==0.11.0", "nbformat==5.11.1",
             "ipykernel==7.4.0"],
    # Importing hf's PyTorch BigGAN files (python -m hub_export.import_weights):
    # torch.load(weights_only=True, mmap=True) needs torch >= 2.4.
    "hf": ["torch>=2.4"],
    # LiteRT runtime, plus what the TF.js converter imports. tensorflowjs itself
    # is installed with --no-deps (its pins conflict with TF 2.21): see
    # WORKSPACE.md and tests/run.sh.
    "edge": ["ai-edge-litert==2.3.0", "jax==0.10.2", "jaxlib==0.10.2",
             "flax==0.12.8"],
}

setup(
    name="tfbiggan",
    version=VERSION,
    description="BigGAN and BigGAN-deep for TensorFlow 2 and Keras 3",
    packages=find_packages(include=["tfbiggan", "tfbiggan.*", "hub_export", "hub_export.*"]),
    # hub_export/js holds Node scripts (data, not a Python package).
    package_data={"hub_export": ["js/*.mjs"],
                  "hub_export.web": ["*.html", "*.js", "*.css"]},
    include_package_data=True,
    python_requires=">=3.10",
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS,
)
