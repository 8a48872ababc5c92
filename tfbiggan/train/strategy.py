"""tf.distribute strategies by name, and who is the chief."""
import tensorflow as tf


def make_strategy(name, tpu=""):
    """A tf.distribute.Strategy.

    Args:
      name: ``default`` (one device, no distribution), ``mirrored`` (all local
        GPUs, else the CPU), ``multiworker`` (MultiWorkerMirroredStrategy; the
        cluster comes from TF_CONFIG), or ``tpu``.
      tpu: the TPU name or grpc address for TPUClusterResolver ("" = local or
        from the environment).
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"Unknown strategy {name!r}; choose default, mirrored, "
                     "multiworker or tpu.")


def is_chief(strategy):
    """True on the one worker that writes checkpoints, summaries and samples."""
    return bool(strategy.extended.should_checkpoint)


def task_id(strategy):
    """This worker's index (0 when there is no cluster)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    return int(getattr(resolver, "task_id", 0) or 0) if resolver else 0
