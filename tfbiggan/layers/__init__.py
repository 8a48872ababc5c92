"""BigGAN operators, each a Keras layer that can be tested alone."""
from tfbiggan.layers.attention import SelfAttention
from tfbiggan.layers.conditional_batch_norm import (
    NUM_TRUNCATION_POINTS, ConditionalBatchNorm, truncation_grid,
    truncation_weights)
from tfbiggan.layers.spectral_norm import (
    SNConv2D, SNDense, folded_spectral_norm, power_iteration,
    spectral_norm_layers, top_singular_values)

__all__ = [
    "ConditionalBatchNorm", "NUM_TRUNCATION_POINTS", "SNConv2D", "SNDense",
    "SelfAttention", "folded_spectral_norm", "power_iteration", "spectral_norm_layers",
    "top_singular_values", "truncation_grid", "truncation_weights",
]
