"""Reading and writing every tensor of a checkpoint by key.

For the rewrites that tf.train.Checkpoint cannot do (copy everything but a few
variables; rename keys): RestoreV2 reads any dtype, the data iterator's
variant state included, and the target is replaced only once complete.
"""
import os

import tensorflow as tf


def read_all_tensors(prefix):
    """{key: tensor} of every tensor in a checkpoint, variant ones (the data
    iterator's state) included, and {key: dtype}."""
    dtypes = tf.train.load_checkpoint(prefix).get_variable_to_dtype_map()
    names = sorted(dtypes)
    values = tf.raw_ops.RestoreV2(prefix=prefix, tensor_names=names,
                                  shape_and_slices=[""] * len(names),
                                  dtypes=[dtypes[n] for n in names])
    return dict(zip(names, values)), dtypes


def write_tensors(tensors, target_prefix):
    """Writes {key: tensor} as a checkpoint at ``target_prefix``, replacing it
    only once complete (written under a temporary prefix, then renamed)."""
    names = sorted(tensors)
    folder = os.path.dirname(os.path.abspath(target_prefix))
    tf.io.gfile.makedirs(folder)
    tmp_prefix = os.path.join(folder, f".tmp_{os.getpid()}_{os.path.basename(target_prefix)}")
    tf.raw_ops.SaveV2(prefix=tmp_prefix, tensor_names=names,
                      shape_and_slices=[""] * len(names),
                      tensors=[tensors[n] for n in names])
    for path in sorted(tf.io.gfile.glob(tmp_prefix + ".data-*")) + [tmp_prefix + ".index"]:
        tf.io.gfile.rename(path, target_prefix + path[len(tmp_prefix):], overwrite=True)
