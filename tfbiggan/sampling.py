"""The latent samplers under the name the README and earlier code import.

They are defined in ``tfbiggan.truncation``, the home of everything about
truncation; this module only re-exports them.
"""
from tfbiggan.truncation import one_hot, tfhub_truncated_z, truncated_normal

__all__ = ["one_hot", "tfhub_truncated_z", "truncated_normal"]
