"""Model configuration: one frozen dataclass plus named presets.

The architecture tables follow BigGAN-PyTorch's ``G_arch``/``D_arch`` and the
tfhub.dev modules (Brock et al. 2019, Tables 4-9 of App. B). Multipliers scale ``ch``.
"""
import dataclasses

from tfbiggan.models.base import FrozenConfig

ARCHITECTURES = ("biggan", "biggan-deep")
RESOLUTIONS = (32, 64, 128, 256, 512)

# Generator stages: (input multipliers, output multipliers); each stage doubles
# the resolution from 4x4. BigGAN has one up-block per stage; BigGAN-deep has
# two per stage, (no-up, in -> in) then (up, in -> out).
G_STAGES = {
    32: ([4, 4, 4], [4, 4, 4]),
    64: ([16, 16, 8, 4], [16, 8, 4, 2]),
    128: ([16, 16, 8, 4, 2], [16, 8, 4, 2, 1]),
    256: ([16, 16, 8, 8, 4, 2], [16, 8, 8, 4, 2, 1]),
    512: ([16, 16, 8, 8, 4, 2, 1], [16, 8, 8, 4, 2, 1, 1]),
}

# BigGAN discriminator blocks: (output multipliers, downsample flags). The
# first block reads the RGB image.
D_BLOCKS = {
    32: ([4, 4, 4, 4], [True, True, False, False]),
    64: ([1, 2, 4, 8, 16], [True] * 4 + [False]),
    128: ([1, 2, 4, 8, 16, 16], [True] * 5 + [False]),
    256: ([1, 2, 4, 8, 8, 16, 16], [True] * 6 + [False]),
    512: ([1, 1, 2, 4, 8, 8, 16, 16], [True] * 7 + [False]),
}

# BigGAN-deep discriminator stages after a 3x3 stem conv to in[0]*ch:
# (input multipliers, output multipliers, downsample flags); two blocks per
# stage, the first of which downsamples.
D_DEEP_STAGES = {
    32: ([4, 4, 4], [4, 4, 4], [True, True, False]),
    64: ([1, 2, 4, 8], [2, 4, 8, 16], [True] * 4),
    128: ([1, 2, 4, 8, 16], [2, 4, 8, 16, 16], [True] * 5),
    256: ([1, 2, 4, 8, 8, 16], [2, 4, 8, 8, 16, 16], [True] * 6),
    512: ([1, 1, 2, 4, 8, 8, 16], [1, 2, 4, 8, 8, 16, 16], [True] * 7),
}


@dataclasses.dataclass(frozen=True)
class BigGANConfig(FrozenConfig):
    """Everything needed to build a Generator and a Discriminator.

    Attributes:
      architecture: "biggan" or "biggan-deep".
      resolution: output side in pixels, one of 32, 64, 128, 256, 512.
      num_classes: width of the one-hot / soft class vector y.
      z_dim: latent width. For hierarchical BigGAN it must split into
        (num_stages + 1) equal chunks.
      g_ch, d_ch: channel widths that the stage multipliers scale.
      embed_dim: class embedding width (shared embedding in G).
      g_attention, d_attention: resolution at which self-attention is inserted
        (after the stage producing it); 0 for none.
      hierarchical_z: BigGAN's per-block z chunks (ignored by BigGAN-deep,
        which feeds the whole z to every block).
      bn_epsilon, sn_epsilon: 1e-4 in the published models.
      bn_momentum: moving-average decay of the batch-norm statistics.
      power_iterations: spectral-norm power iterations per training step.
      g_spectral_norm, d_spectral_norm: spectral norm on every conv and linear
        of G / D (BigGAN: both; SNGAN: D only; WGAN with clipping: neither).
      g_shared_embedding: BigGAN's shared class embedding (embed_dim wide)
        with spectrally normalised gain/bias projections in every conditional
        batch norm; False gives each batch norm its own class embedding (a
        bias-free linear map of y, no spectral norm), as SAGAN and SNGAN do.
      d_minibatch_kernels, d_minibatch_kernel_dim: minibatch discrimination
        (Salimans et al. 2016) before D's head: B kernels of C dimensions; 0
        kernels for none.
      d_minibatch_stddev: ProGAN's minibatch standard deviation (Karras et al.
        2018, Sec. 3) as one extra feature map into D's last block, with this
        group size (4 in that paper); 0 for none. BigGAN only, not -deep.
    """
    architecture: str = "biggan-deep"
    resolution: int = 128
    num_classes: int = 1000
    z_dim: int = 128
    g_ch: int = 128
    d_ch: int = 128
    embed_dim: int = 128
    g_attention: int = 64
    d_attention: int = 64
    hierarchical_z: bool = True
    bn_epsilon: float = 1e-4
    sn_epsilon: float = 1e-4
    bn_momentum: float = 0.9
    power_iterations: int = 1
    g_spectral_norm: bool = True
    d_spectral_norm: bool = True
    g_shared_embedding: bool = True
    d_minibatch_kernels: int = 0
    d_minibatch_kernel_dim: int = 5
    d_minibatch_stddev: int = 0

    def __post_init__(self):
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}, "
                             f"got {self.architecture!r}.")
        if self.resolution not in RESOLUTIONS:
            raise ValueError(f"resolution must be one of {RESOLUTIONS}, got "
                             f"{self.resolution}.")
        for name in ("num_classes", "z_dim", "g_ch", "d_ch", "embed_dim",
                     "power_iterations", "d_minibatch_kernel_dim"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}.")
        for name in ("d_minibatch_kernels", "d_minibatch_stddev"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0 (0: none), got "
                                 f"{getattr(self, name)}.")
        if not 0.0 <= self.bn_momentum < 1.0:
            raise ValueError(f"bn_momentum must be in [0, 1) (the moving averages' "
                             f"decay), got {self.bn_momentum}.")
        for name in ("bn_epsilon", "sn_epsilon"):
            if not 0.0 < getattr(self, name) < float("inf"):
                raise ValueError(f"{name} must be a finite number > 0, got "
                                 f"{getattr(self, name)}.")
        for name in ("g_attention", "d_attention"):
            value = getattr(self, name)
            if value and not (8 <= value <= self.resolution and value & (value - 1) == 0):
                raise ValueError(f"{name}={value} is not a power-of-two resolution "
                                 f"in [8, {self.resolution}]; use 0 for none.")
        if self.d_minibatch_stddev and self.architecture != "biggan":
            raise ValueError("d_minibatch_stddev is built for BigGAN's D only (BigGAN-deep's "
                             "blocks fix their input width); use architecture=biggan or 0.")
        if self.uses_z_chunks and self.z_dim % self.num_z_chunks:
            raise ValueError(
                f"z_dim={self.z_dim} must split into {self.num_z_chunks} equal "
                f"chunks for hierarchical BigGAN at {self.resolution}px; use a "
                f"multiple of {self.num_z_chunks} or hierarchical_z=False.")

    @property
    def is_deep(self):
        return self.architecture == "biggan-deep"

    @property
    def num_stages(self):
        return len(G_STAGES[self.resolution][0])

    @property
    def uses_z_chunks(self):
        return self.hierarchical_z and not self.is_deep

    @property
    def num_z_chunks(self):
        return self.num_stages + 1


PRESETS = {
    # tfhub.dev BigGAN-deep: ch 128, z 128, embedding 128, attention at 64.
    "biggan-deep-128": BigGANConfig("biggan-deep", 128),
    "biggan-deep-256": BigGANConfig("biggan-deep", 256),
    "biggan-deep-512": BigGANConfig("biggan-deep", 512),
    # tfhub.dev BigGAN: ch 96, hierarchical z of 120 / 140 / 128.
    "biggan-128": BigGANConfig("biggan", 128, z_dim=120, g_ch=96, d_ch=96),
    "biggan-256": BigGANConfig("biggan", 256, z_dim=140, g_ch=96, d_ch=96,
                               g_attention=128),
    "biggan-512": BigGANConfig("biggan", 512, z_dim=128, g_ch=96, d_ch=96),
    # CIFAR-10: 256 channels throughout (BigGAN-PyTorch's ch 64 x 4).
    "biggan-cifar": BigGANConfig("biggan", 32, num_classes=10, z_dim=128,
                                 g_ch=64, d_ch=64, g_attention=0, d_attention=0,
                                 hierarchical_z=False),
    # The CPU demo on scikit-learn's 8x8 digits, upscaled to 32x32.
    # D is twice G's width: at d_ch 8 the samples of each class collapsed.
    "digits": BigGANConfig("biggan", 32, num_classes=10, z_dim=32, g_ch=8, d_ch=16,
                           embed_dim=32, g_attention=0, d_attention=0),
    # SNGAN's ResNet for CIFAR-10 (Miyato et al. 2018, Appendix B.4, Table 4):
    # G 256 channels without spectral norm, D 128 with it, no attention, z only
    # at the input. Conditional (Miyato & Koyama 2018): per-layer class
    # embeddings in G's batch norms, projection D. Unconditional: one class.
    "sngan-cifar": BigGANConfig("biggan", 32, num_classes=10, z_dim=128, g_ch=64,
                                d_ch=32, g_attention=0, d_attention=0,
                                hierarchical_z=False, g_spectral_norm=False,
                                g_shared_embedding=False),
    "sngan-cifar-uncond": BigGANConfig("biggan", 32, num_classes=1, z_dim=128, g_ch=64,
                                       d_ch=32, g_attention=0, d_attention=0,
                                       hierarchical_z=False, g_spectral_norm=False,
                                       g_shared_embedding=False),
    # SAGAN at 128 (Zhang et al. 2019) as BigGAN's baseline (Table 1, row 1:
    # ch 64, 81.5M parameters): attention at 64x64 in G and D, spectral norm
    # in both, per-layer class embeddings, z only at the input.
    "sagan-128": BigGANConfig("biggan", 128, z_dim=128, g_ch=64, d_ch=64,
                              g_attention=64, d_attention=64, hierarchical_z=False,
                              g_shared_embedding=False),
    # A tiny model for tests.
    "tiny": BigGANConfig("biggan", 32, num_classes=4, z_dim=16, g_ch=4, d_ch=4,
                         embed_dim=8, g_attention=16, d_attention=16),
    "tiny-deep": BigGANConfig("biggan-deep", 32, num_classes=4, z_dim=16, g_ch=4,
                              d_ch=4, embed_dim=8, g_attention=16, d_attention=16),
}


def as_config(config):
    """A BigGANConfig from itself or from its ``to_dict()`` form (Keras configs)."""
    return BigGANConfig.from_dict(config) if isinstance(config, dict) else config


def get_preset(name, **overrides):
    """The preset config called ``name``, with optional field overrides."""
    if name not in PRESETS:
        raise ValueError(f"Unknown preset {name!r}; choose one of {sorted(PRESETS)}.")
    return PRESETS[name].replace(**overrides) if overrides else PRESETS[name]
