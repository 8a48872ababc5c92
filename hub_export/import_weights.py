"""Import DeepMind's BigGAN-deep weights and export them as a convertible SavedModel.

    python -m hub_export.import_weights --source=DIR --output=DIR [--overwrite]
        [--ignore_unused=REGEX] [--nocheck]

``--source`` is either

* a TF1 Hub module of ``deepmind/biggan-deep-{128,256,512}/1`` (tfhub.dev /
  Kaggle Models; unpacked: ``saved_model.pb``, ``tfhub_module.pb``,
  ``variables/``), or
* an hf directory of ``pytorch-pretrained-biggan`` (``pytorch_model.bin`` +
  ``config.json``; needs torch: ``pip install 'tfbiggan[hf]'``).

The format is detected, the matching preset is built, and every variable is
set strictly from the files (``hub_export.official``): every tensor is used,
every variable is set, shapes are checked, and the first problem is named.
The 51 standing statistics per batch norm come from the files too. The
result is written like ``python -m hub_export.export`` writes a training run
(frozen graph, self-check, atomic publish, ``--overwrite`` rules): a
SavedModel with ``default(z, y, truncation) -> {'default': images}``, no
``discriminator`` signature (none was released), and a model card naming the
source, its licence and, for 1000 classes, the ImageNet class list of
tensorflow-datasets. Then ``hub_export.tflite``, ``hub_export.tfjs`` and
``hub_export.web`` convert it.

The non-deep ``deepmind/biggan-N/2`` modules are refused with an explanation
(see ``hub_export/official/names.py``).

Exit status (``tfbiggan.cli``): 0 on success; 2 with one ``error:`` line for
bad input (a missing or malformed file, an output that exists or overlaps
``--source``, torch missing for hf files), before anything is written; 1 when
the export fails its own check.
"""
import re

from absl import flags

from hub_export import class_names, official
from hub_export.command import export_command, main
from hub_export.export import check_paths, export
from tfbiggan.errors import InputError

USAGE = ("python -m hub_export.import_weights --source=DIR --output=DIR "
         "[--overwrite] [--ignore_unused=REGEX]")


def import_weights(source_dir, output, overwrite=False, ignore_unused=None, check=True,
                   log=print):
    """Imports ``source_dir`` and exports it to ``output``.

    Returns ``(output_path, report)`` as ``hub_export.export.export`` does.
    """
    check_paths(output, [("--source", source_dir)], overwrite)  # before the slow work
    source = official.load(source_dir, ignore_unused, log)
    labels = (class_names.imagenet2012()
              if source.config.num_classes == class_names.IMAGENET2012_CLASSES else None)
    return export(source, output, overwrite, log=log, check=check, labels=labels)


def define_flags(fl):
    flags.DEFINE_string("source", None, "TF1 Hub module or hf directory of BigGAN-deep.",
                        flag_values=fl)
    flags.DEFINE_string("output", None, "Export folder (must not exist or be empty).",
                        flag_values=fl)
    flags.DEFINE_bool("overwrite", False, "Replace a non-empty --output.", flag_values=fl)
    flags.DEFINE_string("ignore_unused", None,
                        "Regular expression of file tensors to skip although no weight "
                        "uses them (listed in the model card). Default: refuse them.",
                        flag_values=fl)
    flags.DEFINE_bool("check", True, "Compare the export with the imported generator "
                      "before publishing it.", flag_values=fl)


def _import(fl, positional):
    del positional
    if not fl.source or not fl.output:
        raise InputError(f"--source and --output are required; {USAGE}.")
    try:
        re.compile(fl.ignore_unused or "")
    except re.error as err:
        raise InputError(f"--ignore_unused={fl.ignore_unused!r} is not a regular "
                         f"expression ({err}).") from None
    import_weights(fl.source, fl.output, fl.overwrite, fl.ignore_unused, fl.check)


# The readers raise SourceTensorError (a ValueError) naming a malformed
# tensor, ImportError naming the install of a missing torch.
COMMAND = export_command("hub_export.import_weights", define_flags, _import, USAGE)


if __name__ == "__main__":
    main(COMMAND)
