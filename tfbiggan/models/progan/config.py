"""Progressive GAN configuration (Karras et al. 2018): a frozen dataclass and
presets.

Feature maps per resolution follow the paper's code: a stage at resolution
2^k has nf(k - 1) = min(fmap_base / 2^(k - 1), fmap_max) maps, which with
fmap_base 8192 and fmap_max 512 gives Table 2's 512 maps from 4x4 to 32x32,
then 256, 128, 64, 32, 16 up to 1024x1024.
"""
import dataclasses
import math

from tfbiggan.models.base import FrozenConfig


@dataclasses.dataclass(frozen=True)
class ProGANConfig(FrozenConfig):
    """Everything needed to build a ProGAN generator and discriminator.

    Attributes:
      resolution: final output side, a power of two >= 8.
      z_dim: latent size (512 in the paper and the tfhub.dev progan-128 module).
      num_classes: 1 for an unconditional model (the project's convention,
        as for BigGAN). With more, G reads the one-hot label concatenated to
        the latent and D outputs one extra logit per class (an auxiliary
        classifier), as the paper's code does for its conditional CIFAR-10
        runs (``label_size``).
      fmap_base, fmap_max: the feature-map schedule above.
      mbstd_group_size: the minibatch-stddev group (4 in the paper).
    """
    architecture: str = "progan"
    resolution: int = 128
    z_dim: int = 512
    num_classes: int = 1
    fmap_base: int = 8192
    fmap_max: int = 512
    mbstd_group_size: int = 4

    def __post_init__(self):
        if self.architecture != "progan":
            raise ValueError(f"ProGANConfig architecture must be 'progan', got "
                             f"{self.architecture!r}.")
        for name in ("num_classes", "z_dim", "fmap_base", "fmap_max"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}.")
        if self.mbstd_group_size < 0:
            raise ValueError(f"mbstd_group_size must be >= 0 (0: none), got "
                             f"{self.mbstd_group_size}.")
        log2 = math.log2(self.resolution)
        if self.resolution < 8 or log2 != int(log2):
            raise ValueError(f"ProGAN resolution={self.resolution}: use a power of two >= 8 "
                             "(training starts at 4x4 and doubles).")

    @property
    def label_size(self):
        """Width of the label input of G and of D's class logits (0: none)."""
        return self.num_classes if self.num_classes > 1 else 0

    @property
    def num_levels(self):
        """Levels 0 .. num_levels - 1 draw 4x4, 8x8, ..., resolution."""
        return int(math.log2(self.resolution)) - 1

    def level_resolution(self, level):
        return 4 * 2 ** level

    def channels(self, level):
        """Feature maps of the stage that works at level_resolution(level)."""
        k = level + 2  # resolution 2^k
        return min(self.fmap_base // 2 ** (k - 1), self.fmap_max)


PRESETS = {
    # Table 2's network (CelebA-HQ); the paper gives 23.1M parameters for G and D.
    "progan-1024": ProGANConfig(resolution=1024),
    # The resolution and latent of the tfhub.dev module google/progan-128/1.
    "progan-128": ProGANConfig(resolution=128),
    # The CPU demo: conditional, 4x4 -> 32x32 on scikit-learn's digits.
    "progan-digits": ProGANConfig(resolution=32, z_dim=64, num_classes=10, fmap_base=256,
                                  fmap_max=64),
}


def get_preset(name, **overrides):
    """A ProGANConfig preset, with fields replaced by ``overrides``."""
    if name not in PRESETS:
        raise ValueError(f"Unknown ProGAN preset {name!r}; choose one of {sorted(PRESETS)}.")
    return PRESETS[name].replace(**overrides) if overrides else PRESETS[name]
