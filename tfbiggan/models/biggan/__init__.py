"""BigGAN and BigGAN-deep (Brock et al. 2019): config and presets, blocks,
generator, discriminator, and the generator's standing statistics."""
from tfbiggan.models.biggan.config import PRESETS, BigGANConfig, get_preset
from tfbiggan.models.biggan.discriminator import Discriminator
from tfbiggan.models.biggan.generator import Generator, MissingStandingStatsError
from tfbiggan.models.biggan.standing import (
    STANDING_BATCH_SIZE, STANDING_BATCHES, accumulate_standing_stats, has_standing_stats)

__all__ = ["BigGANConfig", "Discriminator", "Generator", "MissingStandingStatsError",
           "PRESETS", "STANDING_BATCHES", "STANDING_BATCH_SIZE",
           "accumulate_standing_stats", "get_preset", "has_standing_stats"]
