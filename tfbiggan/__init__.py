"""BigGAN and BigGAN-deep for TensorFlow 2 and Keras 3."""

# The version whose layer names the checkpoints carry (run/legacy.py upgrades
# those of 0.1); setup.py reads it from here.
__version__ = "0.2.0"
