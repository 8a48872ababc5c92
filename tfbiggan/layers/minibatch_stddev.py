"""Minibatch standard deviation (Karras et al. 2018, Sec. 3), in the paper
code's grouped form: split the minibatch into groups of ``group_size``
examples (the whole batch when it is smaller; the batch must divide into
groups); in each group take the standard deviation of every feature at every
pixel over the group's examples, sqrt(Var + 1e-8) with the biased variance;
average it over features and pixels to one number per group; append that
number as a constant feature map to every example of the group. No learned
parameters. ProGAN puts it before D's last 3x3 conv, group size 4."""
import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfbiggan")
class MinibatchStddev(keras.layers.Layer):
    """Input [batch, H, W, C]; output [batch, H, W, C + 1].

    ``batch`` must be a multiple of min(group_size, batch): a batch known
    when the layer is traced is checked then (ValueError); otherwise the
    reshape fails at run time, as in the paper's code. No Assert op, so the
    graph converts to TFLite and TF.js."""

    def __init__(self, group_size=4, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.group_size = int(group_size)
        self.epsilon = float(epsilon)

    def call(self, x):
        shape = tf.shape(x)
        batch, h, w, c = shape[0], shape[1], shape[2], shape[3]
        group = tf.minimum(self.group_size, batch)
        static = x.shape[0]
        if static is not None and static % min(self.group_size, static):
            raise ValueError(f"MinibatchStddev: a batch of {static} is not a multiple of "
                             f"group_size={self.group_size} (use a multiple, or fewer).")
        y = tf.reshape(tf.cast(x, tf.float32), [group, -1, h, w, c])  # [G, M, H, W, C]
        y = y - tf.reduce_mean(y, axis=0, keepdims=True)
        y = tf.sqrt(tf.reduce_mean(tf.square(y), axis=0) + self.epsilon)  # [M, H, W, C]
        y = tf.reduce_mean(y, axis=[1, 2, 3])  # [M]
        # Example i belongs to group i % M, as in the paper's reshape.
        y = tf.tile(y, [group])[:, None, None, None] * tf.ones([batch, h, w, 1])
        return tf.concat([x, tf.cast(y, x.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (int(input_shape[-1]) + 1,)

    def get_config(self):
        config = super().get_config()
        config.update(group_size=self.group_size, epsilon=self.epsilon)
        return config
