"""Export a generator as a tfhub.dev-style BigGAN SavedModel that converts.

    python -m hub_export.export --model_dir=RUN_DIR --output=EXPORT_DIR \\
        [--checkpoint=RUN_DIR/ckpt-N] [--compute_standing] [--overwrite]
    python -m hub_export.export --init=random --preset=tiny --output=EXPORT_DIR

Signatures of the SavedModel (batch dynamic everywhere):

* ``default``: ``z`` float32 [batch, z_dim], ``y`` float32 [batch, num_classes]
  (one-hot or a soft mix of classes), ``truncation`` float32 scalar []
  -> ``{'default': images}`` float32 [batch, R, R, 3] in [-1, 1].
  ``truncation`` selects the batch norms' standing statistics, stored at the
  51 values 0.00, 0.02, ..., 1.00 and linearly interpolated; it is clamped to
  [0, 1] (documented, see the model card). Sample z as
  ``truncation * truncnorm(-2, 2)``.
* ``discriminator``: ``images`` float32 [batch, R, R, 3] in [-1, 1], ``y``
  float32 [batch, num_classes] -> ``{'logits': logits}`` float32 [batch].

That is BigGAN's interface (``hub_export.biggan``). Each model family names
its own in its registry entry (``tfbiggan.families``): a Progressive GAN run
exports in the interface of tfhub.dev's progan-128 (``hub_export.progan``):
``default(default=latent[, y]) -> {'default': images in [0, 1]}``.

The stages, one module each and written once for every family: ``source``
(a run or a preset) -> ``freeze`` (variable-free graphs, the SavedModel) ->
``checks`` (graph ops, outputs against the live models) -> ``publish``
(atomic rename into ``--output``; a non-empty one is refused unless
``--overwrite``). The signature names live in ``contract``. ``model_card.md``
and ``model_card.json`` are written beside ``saved_model.pb``.
"""
import os
import time

from absl import flags

from hub_export import class_names, model_card
from hub_export.checks import check_graph, self_check
from hub_export.command import export_command, main
from hub_export.freeze import write_saved_model
from hub_export.publish import check_output, directory_size, publish, staging_dir
from hub_export.source import (RANDOM_STANDING_BATCH_SIZE, RANDOM_STANDING_BATCHES,
                               random_source, run_source)
from tfbiggan.errors import InputError
from tfbiggan.families import FAMILIES
from tfbiggan.models import STANDING_BATCH_SIZE, STANDING_BATCHES
from tfbiggan.paths import check_writable_folder, refuse_overlap
from tfbiggan.run import read_model_config, run_dataset


def export_interface(config):
    """The export interface of a model config's family."""
    return FAMILIES.of(config).load_export()


def export(source, output, overwrite=False, log=print, check=True, labels=None):
    """Writes the SavedModel + model card for ``source`` to ``output`` atomically.

    ``labels``: optional class names for the card (``hub_export.class_names``).
    Returns:
      ``(output_path, report)``; report holds timings and the self-check diffs.
    """
    refuse_overlap("--output", output, source.inputs())
    check_output(os.path.abspath(output), overwrite)  # fail before the slow work
    report = {}
    interface = export_interface(source.config)
    with staging_dir(output, log) as tmp:
        write_saved_model(source, interface, tmp, report, log)
        check_graph(tmp)
        if check:
            start = time.perf_counter()
            report["self_check"] = self_check(tmp, source, interface)
            report["check_seconds"] = round(time.perf_counter() - start, 2)
            log(f"self-check: {report['self_check']}")
        model_card.write(tmp, model_card.build(source, interface, labels), interface)
        path = publish(tmp, output, overwrite)
    log(f"wrote {path} ({directory_size(path) / 2**20:.1f} MiB)")
    return path, report


def define_flags(fl):
    flags.DEFINE_string("model_dir", None, "Training directory (tfbiggan.run layout).",
                        flag_values=fl)
    flags.DEFINE_string("checkpoint", None, "A ckpt-N prefix; default the latest.",
                        flag_values=fl)
    flags.DEFINE_enum("init", "checkpoint", ["checkpoint", "random"],
                      "'random' exports an untrained --preset (for trying the pipeline).",
                      flag_values=fl)
    flags.DEFINE_string("preset", None, "Preset for --init=random.", flag_values=fl)
    flags.DEFINE_string("output", None, "Export folder (must not exist or be empty).",
                        flag_values=fl)
    flags.DEFINE_bool("overwrite", False, "Replace a non-empty --output.", flag_values=fl)
    flags.DEFINE_bool("compute_standing", False,
                      "Compute standing statistics when the checkpoint has none.",
                      flag_values=fl)
    flags.DEFINE_integer("standing_batches", None,
                         "Batches per truncation for standing statistics (default "
                         f"{STANDING_BATCHES} for a run, {RANDOM_STANDING_BATCHES} for "
                         "--init=random).", lower_bound=1, flag_values=fl)
    flags.DEFINE_integer("standing_batch_size", None,
                         "Batch size for standing statistics (default "
                         f"{STANDING_BATCH_SIZE} for a run, {RANDOM_STANDING_BATCH_SIZE} "
                         "for --init=random).", lower_bound=2, flag_values=fl)
    flags.DEFINE_integer("seed", 0, "Seed of random init and standing-statistic sampling.",
                         lower_bound=0, flag_values=fl)
    flags.DEFINE_bool("check", True, "Compare the export with the live models before "
                      "publishing it.", flag_values=fl)


USAGE = ("python -m hub_export.export (--model_dir=RUN_DIR | --init=random "
         "--preset=NAME) --output=DIR [--overwrite]")


def check_paths(output, inputs, overwrite):
    """Every check of an export's output before anything is read or written:
    apart from the inputs, a writable place, empty or ``overwrite``."""
    refuse_overlap("--output", output, inputs)
    check_writable_folder("--output", output)
    check_output(os.path.abspath(output), overwrite)


def _export(fl, positional):
    del positional
    if not fl.output:
        raise InputError(f"--output is required; {USAGE}.")
    if fl.init == "random" and (not fl.preset or fl.model_dir):
        raise InputError(f"--init=random needs --preset and no --model_dir; {USAGE}.")
    if fl.init == "checkpoint" and (not fl.model_dir or fl.preset):
        raise InputError("give --model_dir (or --init=random --preset=NAME); --preset only "
                         f"applies to --init=random; {USAGE}.")
    check_paths(fl.output, [("--model_dir", fl.model_dir), ("--checkpoint", fl.checkpoint)],
                fl.overwrite)
    if fl.init == "random":
        if fl.preset not in FAMILIES.all_presets():
            raise InputError(f"--preset={fl.preset!r} is unknown; choose one of "
                             f"{', '.join(FAMILIES.all_presets())}.")
        source = random_source(fl.preset, fl.seed,
                               fl.standing_batches or RANDOM_STANDING_BATCHES,
                               fl.standing_batch_size or RANDOM_STANDING_BATCH_SIZE)
    else:
        source = run_source(fl.model_dir, fl.checkpoint, fl.compute_standing,
                            fl.standing_batches or STANDING_BATCHES,
                            fl.standing_batch_size or STANDING_BATCH_SIZE, fl.seed)
    labels = None
    if source.model_dir:
        dataset = run_dataset(read_model_config(source.model_dir)[1])
        labels = class_names.for_dataset(dataset, source.config.num_classes)
    export(source, fl.output, fl.overwrite, check=fl.check, labels=labels)


COMMAND = export_command("hub_export.export", define_flags, _export, USAGE)


if __name__ == "__main__":
    main(COMMAND)
