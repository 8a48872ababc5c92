"""The operators of the model families (BigGAN, Progressive GAN), each a Keras
layer that can be tested alone."""
from tfbiggan.layers.attention import SelfAttention
from tfbiggan.layers.batch_norm import ConditionalBatchNorm, StandingBatchNorm
from tfbiggan.layers.equalized import EqualizedConv2D, EqualizedDense, he_constant
from tfbiggan.layers.minibatch import MinibatchDiscrimination
from tfbiggan.layers.minibatch_stddev import MinibatchStddev
from tfbiggan.layers.pixel_norm import PixelNorm
from tfbiggan.layers.spectral_norm import (
    Conv2D, Dense, SNConv2D, SNDense, conv2d, dense, folded_spectral_norm, power_iteration,
    spectral_norm_layers)
from tfbiggan.singular_values import top_singular_values

__all__ = [
    "ConditionalBatchNorm", "Conv2D", "Dense", "EqualizedConv2D", "EqualizedDense",
    "MinibatchDiscrimination", "conv2d", "dense",
    "MinibatchStddev", "PixelNorm", "SNConv2D", "SNDense", "SelfAttention",
    "StandingBatchNorm", "folded_spectral_norm", "he_constant", "power_iteration",
    "spectral_norm_layers", "top_singular_values",
]
