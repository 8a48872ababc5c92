"""DeepMind's published BigGAN-deep weights as a tfbiggan export source.

``load(path)`` detects the format of ``path`` and returns a
``hub_export.source.Source`` whose generator holds the official weights and
standing statistics, ready for ``hub_export.export.export``:

* ``tfhub_module``: the TF1 Hub modules ``deepmind/biggan-deep-{128,256,512}/1``
  (tfhub.dev, now served by Kaggle Models);
* ``hf_checkpoint``: huggingface's PyTorch port (``pytorch-pretrained-biggan``).

``names`` maps every tensor to a generator variable (and says where the names
come from), ``configs`` turns a file's shapes into the matching preset,
``assign`` sets the variables strictly, ``synthetic`` writes files of both
formats with given weights for tests and measurements. The command line is
``python -m hub_export.import_weights``.
"""
import os
import time

from hub_export.official import assign, names
from hub_export.official.hf_checkpoint import HfCheckpoint, is_hf_checkpoint
from hub_export.official.tfhub_module import TfhubModule, is_tfhub_module, statistics_names
from hub_export.source import Source

LICENCE = "Apache-2.0"
TFHUB_HANDLE = "deepmind/biggan-deep-{resolution}/1"
NO_DISCRIMINATOR = ("DeepMind released no discriminator for BigGAN, so this export has "
                    "no 'discriminator' signature.")
VERSUS_HF = ("At the grid truncations 0.00, 0.02, ..., 1.00 the images equal those of hf's "
             "pytorch-pretrained-biggan for the same weights. Between grid points this "
             "export interpolates the statistics linearly; hf mixes the two rows with the "
             "weights reversed, and its math.modf(t / 0.02) also misreads most float32 "
             "grid values as the next row, so hf differs there.")


def detect_format(path):
    """``"tfhub-module"`` or ``"hf-checkpoint"``; FileNotFoundError naming both layouts."""
    if not os.path.isdir(path):
        raise FileNotFoundError(f"--source {path!r} is not a directory.")
    if is_tfhub_module(path):
        return TfhubModule.format
    if is_hf_checkpoint(path):
        return HfCheckpoint.format
    raise FileNotFoundError(
        f"{path!r} is neither a TF1 Hub module (saved_model.pb, tfhub_module.pb, "
        "variables/) nor an hf BigGAN directory (pytorch_model.bin, config.json). "
        f"It holds {sorted(os.listdir(path))[:8]}.")


def _origin(kind, path, config, report):
    """What the model card says about where the weights came from."""
    handle = TFHUB_HANDLE.format(resolution=config.resolution)
    converted = ("" if kind == TfhubModule.format else
                 " hf's files were converted from it by huggingface's "
                 "pytorch-pretrained-BigGAN (convert_tf_to_pytorch.py).")
    return {
        "format": kind,
        "path": path,
        "published_as": f"tfhub.dev {handle} (also on Kaggle Models).{converted}",
        "licence": LICENCE,
        "licence_note": (f"The licence of DeepMind's published {handle}; files from "
                         "elsewhere carry their own."),
        "tensors_used": report["tensors"],
        "tensors_ignored": report["ignored"],
        "discriminator": NO_DISCRIMINATOR,
        "truncation_versus_hf": VERSUS_HF,
        "moving_statistics": ("set to the standing statistics at truncation 1.0 (used "
                              "only by truncation=None calls in Python)"),
    }


def load(path, ignore_unused=None, log=print):
    """A ``Source`` with the official weights of ``path`` (either format).

    Args:
      ignore_unused: regular expression of file tensors to skip although no
        variable uses them (recorded in the model card); None refuses them.
    Raises:
      FileNotFoundError: ``path`` has neither layout.
      assign.SourceTensorError (a ValueError): a tensor is missing, mis-shaped,
        unused or damaged; the message names it.
      ImportError: an hf directory without torch installed.
    """
    from tfbiggan.models import Generator, count_parameters
    kind = detect_format(path)
    start = time.perf_counter()
    files = TfhubModule(path) if kind == TfhubModule.format else HfCheckpoint(path)
    preset, config = files.infer_config()
    log(f"{kind} at {files.path}: {preset or 'custom BigGAN-deep'} "
        f"({config.resolution}px, {config.num_classes} classes, ch {config.g_ch})")
    generator = Generator(config)
    generator.build()
    if kind == TfhubModule.format:
        plan = names.tfhub_plan(generator)
        files.load_statistics(statistics_names(plan))
    else:
        plan = names.hf_plan(generator)
    report = assign.assign(generator, plan, files, ignore_unused, log)
    log(f"imported {count_parameters(generator):,} parameters in "
        f"{time.perf_counter() - start:.1f} s")
    origin = _origin(kind, files.path, config, report)
    del files   # the torch state dict / checkpoint reader: free them before the export
    return Source(config, generator, None, preset, 0, "official", origin=origin)
