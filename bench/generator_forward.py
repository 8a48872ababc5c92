"""Generator forward throughput on this machine, next to a matmul peak.

    python bench/generator_forward.py [--preset biggan-deep-128] [--batch 8]
        [--variants graph,xla,reference] [--repeats 5] [--json]

Each repeat times a float32 square-matmul peak (the best of a few sizes) and
then every variant once, interleaved, so that load from other processes on the
shared cores hits peak and model alike; the table reports medians, and the
ratio column is the median of the per-repeat ratios.

Two FLOP rates are printed per variant:
- model GFLOP/s: the architecture's nominal FLOPs (the PyTorch FlopCounter
  convention, 22.6 G per image for biggan-deep-128) x img/s. This is the number
  to compare with other implementations of the same model.
- executed GFLOP/s: FLOPs of the graph that actually runs (fused upsample-convs
  and the 3-channel head do less work) x img/s, i.e. hardware efficiency.

Variants:
  graph      tf.function, the library's default (fused) path.
  xla        tf.function(jit_compile=True).
  reference  tf.function with Conv2D.fused_ops = False (the literal
             upsample-then-conv computation), to show what the fusion buys.
  eager      plain eager calls.
"""
import json
import os
import statistics
import sys
import time

from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_string("preset", "biggan-deep-128", "Model preset.")
flags.DEFINE_integer("batch", 8, "Images per forward pass.")
flags.DEFINE_list("variants", ["graph", "xla", "reference"],
                  "Any of graph, xla, reference, eager.")
flags.DEFINE_integer("repeats", 5, "Interleaved timing rounds.")
flags.DEFINE_list("peak_sizes", ["1024", "2048", "3072"],
                  "Square matmul sizes for the peak; the best one counts.")
flags.DEFINE_integer("intra_op_threads", 0, "0: TensorFlow's default.")
flags.DEFINE_integer("inter_op_threads", 0, "0: TensorFlow's default.")
flags.DEFINE_bool("json", False, "Print one JSON object instead of a table.")


def _time(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    _ = out.numpy()
    return time.perf_counter() - start


def _peak_gflops(matmuls):
    """Best GFLOP/s over the prepared square matmuls (one timed call each)."""
    best = 0.0
    for fn, a, b, n in matmuls:
        best = max(best, 2.0 * n ** 3 / _time(fn, a, b) / 1e9)
    return best


def _variants(generator, names):
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    from tfbiggan.models.flops import reference_ops  # pylint: disable=import-outside-toplevel

    def forward(z, y):
        return generator(z, y, training=False)

    def unfused(z, y):
        with reference_ops(generator):
            return generator(z, y, training=False)

    table = {"graph": tf.function(forward),
             "xla": tf.function(forward, jit_compile=True),
             "reference": tf.function(unfused),
             "eager": forward}
    unknown = set(names) - set(table)
    if unknown:
        raise app.UsageError(f"Unknown variants {sorted(unknown)}; choose from {sorted(table)}.")
    return {name: table[name] for name in names}


def run_benchmark(preset, batch, variant_names, repeats, peak_sizes):
    """Returns a dict with the peak, per-variant rates and their ratios."""
    import numpy as np  # pylint: disable=import-outside-toplevel
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    from tfbiggan.models import Generator, get_preset  # pylint: disable=import-outside-toplevel
    from tfbiggan.models.flops import generator_flops_per_image  # pylint: disable=import-outside-toplevel

    cfg = get_preset(preset)
    generator = Generator(cfg)
    generator.build()
    nominal = generator_flops_per_image(generator, nominal=True)
    executed = generator_flops_per_image(generator, nominal=False)

    rng = np.random.default_rng(0)
    z = tf.constant(rng.standard_normal((batch, cfg.z_dim)), tf.float32)
    y = tf.one_hot(rng.integers(0, cfg.num_classes, batch), cfg.num_classes)
    variants = _variants(generator, variant_names)
    outputs = {name: fn(z, y).numpy() for name, fn in variants.items()}  # warm-up
    first = next(iter(outputs.values()))
    max_diff = {name: float(np.max(np.abs(out - first))) for name, out in outputs.items()}

    matmul = tf.function(tf.matmul)
    matmuls = []
    for n in (int(s) for s in peak_sizes):
        a = tf.random.normal([n, n])
        b = tf.random.normal([n, n])
        matmul(a, b).numpy()
        matmuls.append((matmul, a, b, n))

    peaks, seconds = [], {name: [] for name in variants}
    for _ in range(repeats):
        peaks.append(_peak_gflops(matmuls))
        for name, fn in variants.items():
            seconds[name].append(_time(fn, z, y))
    peaks.append(_peak_gflops(matmuls))

    results = {}
    for name, times in seconds.items():
        img_s = [batch / t for t in times]
        # Each round's ratio uses the mean of the peaks measured either side.
        ratios = [batch * executed / t / 1e9 / ((peaks[i] + peaks[i + 1]) / 2)
                  for i, t in enumerate(times)]
        model_ratios = [batch * nominal / t / 1e9 / ((peaks[i] + peaks[i + 1]) / 2)
                        for i, t in enumerate(times)]
        results[name] = {
            "img_per_s": statistics.median(img_s),
            "model_gflops_per_s": statistics.median(img_s) * nominal / 1e9,
            "executed_gflops_per_s": statistics.median(img_s) * executed / 1e9,
            "model_ratio_to_peak": statistics.median(model_ratios),
            "executed_ratio_to_peak": statistics.median(ratios),
            "max_abs_diff_vs_first": max_diff[name],
        }
    return {
        "preset": preset, "batch": batch, "repeats": repeats,
        "nominal_gflops_per_image": nominal / 1e9,
        "executed_gflops_per_image": executed / 1e9,
        "peak_gflops_per_s": statistics.median(peaks),
        "peak_gflops_per_s_all": peaks,
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default"),
        "variants": results,
    }


def format_table(report):
    lines = [
        f"{report['preset']}, batch {report['batch']}, {report['repeats']} interleaved rounds; "
        f"nominal {report['nominal_gflops_per_image']:.2f} GFLOP/img, executed "
        f"{report['executed_gflops_per_image']:.2f} GFLOP/img",
        f"float32 matmul peak (median): {report['peak_gflops_per_s']:.1f} GFLOP/s",
        f"{'variant':<10} {'img/s':>7} {'model GF/s':>11} {'model/peak':>11} "
        f"{'exec GF/s':>10} {'exec/peak':>10} {'max|diff|':>10}",
    ]
    for name, r in report["variants"].items():
        lines.append(
            f"{name:<10} {r['img_per_s']:7.3f} {r['model_gflops_per_s']:11.1f} "
            f"{100 * r['model_ratio_to_peak']:10.1f}% {r['executed_gflops_per_s']:10.1f} "
            f"{100 * r['executed_ratio_to_peak']:9.1f}% {r['max_abs_diff_vs_first']:10.2e}")
    return "\n".join(lines)


def main(argv):
    del argv
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    if FLAGS.intra_op_threads:
        tf.config.threading.set_intra_op_parallelism_threads(FLAGS.intra_op_threads)
    if FLAGS.inter_op_threads:
        tf.config.threading.set_inter_op_parallelism_threads(FLAGS.inter_op_threads)
    report = run_benchmark(FLAGS.preset, FLAGS.batch, FLAGS.variants,
                           FLAGS.repeats, FLAGS.peak_sizes)
    print(json.dumps(report, indent=2) if FLAGS.json else format_table(report))


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    app.run(main)
