"""BigGAN and BigGAN-deep models built from a BigGANConfig."""
from tfbiggan.models.config import PRESETS, BigGANConfig, get_preset
from tfbiggan.models.discriminator import Discriminator
from tfbiggan.models.generator import Generator, MissingStandingStatsError

__all__ = ["BigGANConfig", "Discriminator", "Generator", "MissingStandingStatsError", "PRESETS", "get_preset"]
