"""Image preprocessing shared by every dataset.

Output images are float32 [..., R, R, 3] in [-1, 1], NHWC.
"""
import numpy as np
import tensorflow as tf

DIGITS_MAX = 16.0  # scikit-learn's digits are integers in [0, 16]


def digits_to_images(digits, resolution):
    """scikit-learn digits [N, 8, 8] in [0, 16] -> [N, R, R, 3] in [-1, 1].

    Upscaled with bilinear interpolation and repeated to three channels.
    """
    x = tf.convert_to_tensor(np.asarray(digits, np.float32)[..., None] / DIGITS_MAX)
    x = tf.image.resize(x, [resolution, resolution], method="bilinear")
    x = tf.clip_by_value(x, 0.0, 1.0) * 2.0 - 1.0
    return tf.repeat(x, 3, axis=-1).numpy()
