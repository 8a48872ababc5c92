"""Where an export's models come from: a training run, or a preset with
random weights (for trying the pipeline). Official weights arrive through
``hub_export.official.load`` (``python -m hub_export.import_weights``).
"""
import dataclasses
import os
import time
from typing import Optional

from tfbiggan.errors import InputError
from tfbiggan.models import (STANDING_BATCH_SIZE, STANDING_BATCHES,
                             accumulate_standing_stats, count_parameters,
                             has_standing_stats)
from tfbiggan.families import FAMILIES
from tfbiggan.run import load_run, read_metrics

# Random weights are only for trying the pipeline: a few samples per
# truncation make the truncation input select different statistics.
RANDOM_STANDING_BATCHES = 2
RANDOM_STANDING_BATCH_SIZE = 8


@dataclasses.dataclass
class Source:
    """The models to export and where they came from (for the model card).

    ``generator`` is the EMA generator when the source is a training run.
    ``discriminator`` is None when there is none (official weights): the
    export then has no ``discriminator`` signature.
    """
    config: object
    generator: object
    discriminator: Optional[object]
    preset: Optional[str]
    step: int
    init: str                        # "checkpoint", "random" or "official"
    model_dir: Optional[str] = None
    checkpoint: Optional[str] = None
    standing: Optional[dict] = None  # how the standing statistics were computed
    metrics: Optional[dict] = None
    origin: Optional[dict] = None    # official weights: format, files, licence

    def inputs(self):
        """The paths the models were read from, as (flag, path); an export must
        neither be, contain nor lie inside any of them."""
        return [("--model_dir", self.model_dir), ("--checkpoint", self.checkpoint),
                ("--source", (self.origin or {}).get("path"))]


def recorded_preset(run):
    """The preset a run was trained from, as its record names it, when its
    model is that preset's (not one with overridden fields); None otherwise.
    Records before tfbiggan 0.2 name no preset: the preset equal to the
    model, if any, stands in."""
    name = run.settings.get("preset")
    if name is None:
        return FAMILIES.preset_name(run.config)
    presets = FAMILIES.all_presets()
    return name if presets.get(name) == run.config else None


def compute_standing(generator, num_batches, batch_size, seed=0, log=print):
    """Fills the standing statistics at all 51 truncations; returns card facts."""
    if num_batches < 1 or batch_size < 2:
        raise InputError(f"standing statistics need >= 1 batch of >= 2 samples, got "
                         f"{num_batches} x {batch_size}.")

    def progress(done, total, seconds):
        if done == total or done % 10 == 0:
            log(f"  standing statistics: {done}/{total} truncations ({seconds:.0f} s)")

    start = time.perf_counter()
    accumulate_standing_stats(generator, num_batches=num_batches, batch_size=batch_size,
                              seed=seed, progress=progress)
    return {"batches_per_truncation": num_batches, "batch_size": batch_size, "seed": seed,
            "seconds": round(time.perf_counter() - start, 1)}


def random_source(preset, seed=0, standing_batches=RANDOM_STANDING_BATCHES,
                  standing_batch_size=RANDOM_STANDING_BATCH_SIZE, log=print):
    """Untrained models of ``preset`` with standing statistics filled (step 0;
    a family without batch norm has none).

    The weights are random, so the images are noise, but the truncation really
    selects different statistics: this is for trying the export pipeline.
    """
    import keras
    config = FAMILIES.get_preset(preset)
    keras.utils.set_random_seed(seed)
    generator = FAMILIES.build_generator(config)
    discriminator = FAMILIES.build_discriminator(config)
    generator.build()
    discriminator.build()
    log(f"built random {preset}: G {count_parameters(generator):,} parameters, "
        f"D {count_parameters(discriminator):,}")
    facts = None
    if FAMILIES.of(config).uses_standing_stats:
        facts = compute_standing(generator, standing_batches, standing_batch_size, seed, log)
    return Source(config, generator, discriminator, preset, 0, "random", standing=facts)


def run_source(model_dir, checkpoint=None, compute_missing_standing=False,
               standing_batches=STANDING_BATCHES, standing_batch_size=STANDING_BATCH_SIZE,
               seed=0, log=print):
    """The EMA generator and the discriminator of a training run (a family
    without batch norm needs no standing statistics).

    Raises:
      InputError: the EMA generator has no standing statistics and
        ``compute_missing_standing`` is False.
    """
    run = load_run(model_dir, checkpoint_path=checkpoint)
    log(f"loaded {run.path} (step {run.step})")
    facts = None
    if (FAMILIES.of(run.config).uses_standing_stats
            and not has_standing_stats(run.ema_generator)):
        if not compute_missing_standing:
            raise InputError(
                f"The EMA generator in {run.path!r} has no standing statistics, so "
                "the truncation input would select nothing. Compute them during "
                "evaluation, or pass --compute_standing (with --standing_batches / "
                "--standing_batch_size) to compute them now.")
        facts = compute_standing(run.ema_generator, standing_batches, standing_batch_size,
                                 seed, log)
    return Source(run.config, run.ema_generator, run.discriminator, recorded_preset(run),
                  run.step, "checkpoint", model_dir=os.path.abspath(model_dir),
                  checkpoint=run.path,
                  standing=facts, metrics=read_metrics(model_dir, run.step))
