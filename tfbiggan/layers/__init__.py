"""BigGAN operators, each a Keras layer that can be tested alone."""
from tfbiggan.layers.attention import SelfAttention
from tfbiggan.layers.batch_norm import ConditionalBatchNorm, StandingBatchNorm
from tfbiggan.layers.minibatch import MinibatchDiscrimination
from tfbiggan.layers.spectral_norm import (
    SNConv2D, SNDense, folded_spectral_norm, power_iteration, spectral_norm_layers)
from tfbiggan.singular_values import top_singular_values

__all__ = [
    "ConditionalBatchNorm", "MinibatchDiscrimination", "SNConv2D", "SNDense", "SelfAttention", "StandingBatchNorm",
    "folded_spectral_norm", "power_iteration", "spectral_norm_layers",
    "top_singular_values",
]
