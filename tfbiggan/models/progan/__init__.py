"""Progressive GAN (Karras et al. 2018): config and presets, the growing
generator and discriminator."""
from tfbiggan.models.progan.config import PRESETS, ProGANConfig, get_preset
from tfbiggan.models.progan.networks import (ProGANDiscriminator, ProGANGenerator, lerp,
                                             real_images_at)

__all__ = ["PRESETS", "ProGANConfig", "ProGANDiscriminator", "ProGANGenerator",
           "get_preset", "lerp", "real_images_at"]
