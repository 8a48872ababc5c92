"""The training noise: stateless draws for the global micro-batch, sliced per
replica.

z ~ N(0, 1) and uniform fake classes (and WGAN-GP's interpolation weights,
from a stream apart) are drawn from (seed, step, stream) for the *global*
micro-batch, and each replica takes its own slice. Replicas therefore get
different noise, a resumed run draws the same noise as an uninterrupted one,
and one device reproduces N replicas. ``stream`` numbers the noise streams
within one step (D step x micro-step, then G's micro-steps).
"""
import tensorflow as tf

STREAMS_PER_STEP = 1 << 16  # distinct noise streams available within one step


def _seed(seed, step, stream):
    return tf.stack([tf.constant(seed, tf.int64), tf.cast(step, tf.int64) * STREAMS_PER_STEP
                     + stream])


def _replica_slice(values, local_batch):
    replica = tf.distribute.get_replica_context().replica_id_in_sync_group
    start = tf.cast(replica, tf.int32) * local_batch
    return values[start:start + local_batch]


def replica_latents(seed, step, stream, local_batch, num_replicas, z_dim, num_classes):
    """This replica's z float32 [local_batch, z_dim] ~ N(0, 1) and one-hot y
    float32 [local_batch, num_classes] of uniform classes."""
    global_batch = local_batch * num_replicas
    z_seed, y_seed = tf.unstack(tf.random.experimental.stateless_split(
        _seed(seed, step, stream), 2))
    z = tf.random.stateless_normal([global_batch, z_dim], seed=z_seed)
    labels = tf.random.stateless_uniform([global_batch], seed=y_seed, minval=0,
                                         maxval=num_classes, dtype=tf.int32)
    return (_replica_slice(z, local_batch),
            tf.one_hot(_replica_slice(labels, local_batch), num_classes))


def replica_uniform(seed, step, stream, local_batch, num_replicas):
    """This replica's slice of U[0, 1] [global micro-batch] (WGAN-GP's
    interpolation weights), from a stream apart from the latents."""
    values = tf.random.stateless_uniform(
        [local_batch * num_replicas], seed=_seed(seed, step, stream + STREAMS_PER_STEP // 2))
    return _replica_slice(values, local_batch)
