"""Model families, one folder each, built from a config and called on tensors.

``tfbiggan.models.biggan``: BigGAN and BigGAN-deep. Its public names are also
importable from here (``from tfbiggan.models import Generator, get_preset``).
"""
from tfbiggan.models.biggan import (
    PRESETS, STANDING_BATCH_SIZE, STANDING_BATCHES, BigGANConfig, Discriminator,
    Generator, MissingStandingStatsError, accumulate_standing_stats, get_preset,
    has_standing_stats)
from tfbiggan.models.parameters import count_parameters

__all__ = ["BigGANConfig", "Discriminator", "Generator", "MissingStandingStatsError",
           "PRESETS", "STANDING_BATCHES", "STANDING_BATCH_SIZE",
           "accumulate_standing_stats", "count_parameters", "get_preset",
           "has_standing_stats"]
