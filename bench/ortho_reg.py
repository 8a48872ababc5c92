"""BigGAN's orthogonal regulariser on the generator's real weight shapes: the
library's form against the literal out x out Gram, side by side.

    python bench/ortho_reg.py [--preset biggan-256] [--repeats 3]

For every G weight of rank >= 2 (class embeddings excluded, as in training),
both forms compute value and gradient in one tf.function each. Each repeat
runs the two interleaved, so load from other processes hits both; the table
gives the median seconds, the ratio, the relative difference of the values,
the rise of peak RSS during a call (Linux: VmHWM, reset through
/proc/self/clear_refs) and the largest tensor each graph holds, which set the memory
peak of a training step (G's first linear: 24576 x 20 at ch 96, whose out x out
Gram alone is 2.4 GB).
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tfbiggan.models import Generator, get_preset  # noqa: E402
from tfbiggan.regularizers import orthogonal_penalty  # noqa: E402


def literal_penalty(weight):
    """||W W^T * (1 - I)||_F^2 with the out x out Gram, as written in the paper."""
    w = tf.cast(weight, tf.float32)
    rows = tf.transpose(tf.reshape(w, [-1, w.shape[-1]]))
    gram = tf.matmul(rows, rows, transpose_b=True)
    return tf.reduce_sum(tf.square(gram * (1.0 - tf.eye(tf.shape(gram)[0]))))


def _rss_kib(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key))


def _reset_peak():
    """Linux: make VmHWM restart from the current RSS."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def largest_tensor_bytes(fn):
    graph = fn.get_concrete_function().graph
    return max(4 * int(np.prod(t.shape)) for op in graph.get_operations()
               for t in op.outputs if t.shape.is_fully_defined() and t.shape.rank)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="biggan-256")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    generator = Generator(get_preset(args.preset))
    generator.build()
    embeddings = {id(v) for v in generator.class_embedding_weights()}
    weights = [v for v in generator.trainable_variables
               if len(v.shape) >= 2 and id(v) not in embeddings]

    def make(penalty):
        @tf.function
        def step():
            with tf.GradientTape() as tape:
                value = tf.add_n([penalty(w) for w in weights])
            grads = tape.gradient(value, weights)
            return value, tf.add_n([tf.reduce_sum(tf.abs(g)) for g in grads])
        return step

    forms = {"library": make(orthogonal_penalty), "literal Gram": make(literal_penalty)}
    times = {name: [] for name in forms}
    peaks = {name: 0 for name in forms}
    values = {}
    for _ in range(args.repeats + 1):  # the first round traces
        for name, fn in forms.items():
            _reset_peak()
            base = _rss_kib("VmRSS")
            start = time.perf_counter()
            value, _ = fn()
            times[name].append(time.perf_counter() - start)
            peaks[name] = max(peaks[name], _rss_kib("VmHWM") - base)
            values[name] = float(value)
    print(f"{args.preset}: {len(weights)} weights, "
          f"{sum(int(np.prod(w.shape)) for w in weights):,} parameters")
    print(f"{'form':<14} {'median s':>9} {'peak RSS rise':>14} {'largest tensor':>15}")
    for name, fn in forms.items():
        print(f"{name:<14} {statistics.median(times[name][1:]):>9.3f} "
              f"{peaks[name] / 2**20:>10.2f} GiB {largest_tensor_bytes(fn) / 2**20:>11.1f} MiB")
    ratio = statistics.median(times["literal Gram"][1:]) / statistics.median(times["library"][1:])
    rel = abs(values["library"] - values["literal Gram"]) / abs(values["literal Gram"])
    print(f"literal / library time: {ratio:.1f}x; value {values['library']:.6g} vs "
          f"{values['literal Gram']:.6g} (relative difference {rel:.1e})")


if __name__ == "__main__":
    main()
