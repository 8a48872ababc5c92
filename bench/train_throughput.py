"""Training throughput (img/s) of tfbiggan.train on this machine.

  python bench/train_throughput.py                      # digits + cifar, XLA off/on
  python bench/train_throughput.py --presets=digits --steps=20 --batch_size=32

img/s counts the global batch of one training step (one G step after
``d_steps`` D steps), the convention behind BigGAN's published throughput.
Input is random data already in memory, so only the model is measured. The
first (tracing/compiling) steps are excluded.
"""
import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tensorflow as tf  # noqa: E402

from tfbiggan.models import get_preset  # noqa: E402
from tfbiggan.train.config import TrainConfig  # noqa: E402
from tfbiggan.train.step import Trainer  # noqa: E402

PRESETS = {"digits": "digits", "cifar": "biggan-cifar"}
# The D-side settings of configs/digits.flags and configs/cifar10.flags.
RECIPES = {"digits": dict(d_steps=2, r1_gamma=1.0, r1_interval=16),
           "cifar": dict(d_steps=4, r1_gamma=0.0)}


def measure(preset, batch_size, steps, warmup, jit, recipe):
    model = get_preset(preset)
    config = TrainConfig(model=model, batch_size=batch_size, jit_compile=jit,
                         ema_start=0, ema_decay=0.999, **recipe)
    strategy = tf.distribute.get_strategy()
    trainer = Trainer(config, strategy, log=lambda m: None)
    if jit:
        trainer.enable_jit()
    r = model.resolution
    images = tf.random.uniform([batch_size, r, r, 3], -1, 1)
    labels = tf.one_hot(tf.random.uniform([batch_size], 0, model.num_classes,
                                          tf.int32), model.num_classes)
    data = tf.data.Dataset.from_tensors((images, labels)).repeat()
    iterator = iter(strategy.experimental_distribute_dataset(data))
    for _ in range(warmup):
        trainer.iteration(iterator)
    start = time.perf_counter()
    for _ in range(steps):
        trainer.iteration(iterator)
    seconds = time.perf_counter() - start
    return batch_size * steps / seconds, seconds / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--presets", default="digits,cifar")
    parser.add_argument("--batch_size", type=int, default=0,
                        help="0: 32 for digits, 16 for cifar")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--d_steps", type=int, default=0, help="0: the flagfile's")
    parser.add_argument("--xla", default="off,on")
    args = parser.parse_args()
    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPU cores, "
          f"devices: {[d.device_type for d in tf.config.list_physical_devices()]}")
    for name in args.presets.split(","):
        batch = args.batch_size or {"digits": 32, "cifar": 16}[name]
        recipe = dict(RECIPES[name])
        recipe["d_steps"] = d_steps = args.d_steps or recipe["d_steps"]
        rates = {}
        for xla in args.xla.split(","):
            try:
                rate, per_step = measure(PRESETS[name], batch, args.steps,
                                         args.warmup, xla == "on", recipe)
            except tf.errors.InvalidArgumentError as error:  # op XLA cannot compile
                reason = str(error).split("Detected unsupported operations")[-1]
                print(f"{name:7s} XLA {xla}: not compilable here: "
                      f"{reason.strip().splitlines()[0][:200]}", flush=True)
                continue
            print(f"{name:7s} ({PRESETS[name]}) batch {batch:4d} d_steps {d_steps} "
                  f"XLA {xla:3s}: {rate:8.1f} img/s  ({per_step * 1000:.0f} ms/step)",
                  flush=True)
            rates[xla] = rate
        if "on" in rates and "off" in rates:
            print(f"{name:7s} XLA on/off: {rates['on'] / rates['off']:.2f}x", flush=True)


if __name__ == "__main__":
    main()
