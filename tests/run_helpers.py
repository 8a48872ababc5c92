"""A run directory made in-process, and the evaluate CLI run in-process: shared
by the run and evaluate tests."""
import keras
import numpy as np
import tensorflow as tf

from tfbiggan.models import Discriminator, Generator, get_preset
from tfbiggan.run import make_checkpoint, write_model_config


def make_tiny_run(model_dir, preset="tiny", dataset="digits", step_value=1):
    """A run directory like the training loop writes: model_config.json and one
    checkpoint (ckpt-<step>) with G, D, EMA G, both Adam optimizers after one
    update (so they have slots), and the step. Returns the objects."""
    config = get_preset(preset)
    gen, ema, disc = Generator(config), Generator(config), Discriminator(config)
    for model in (gen, ema, disc):
        model.build()
    g_opt, d_opt = keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3)
    rng = np.random.default_rng(0)
    z = tf.constant(rng.standard_normal((4, config.z_dim)), tf.float32)
    y = tf.one_hot(np.arange(4) % config.num_classes, config.num_classes)
    with tf.GradientTape(persistent=True) as tape:
        out = disc(gen(z, y, training=True), y, training=True)
        g_loss = -tf.reduce_mean(out)
        d_loss = tf.reduce_mean(tf.nn.relu(1.0 + out))
    g_opt.apply_gradients(zip(tape.gradient(g_loss, gen.trainable_variables),
                              gen.trainable_variables))
    d_opt.apply_gradients(zip(tape.gradient(d_loss, disc.trainable_variables),
                              disc.trainable_variables))
    for dst, src in zip(ema.weights, gen.weights):
        dst.assign(src)
    step = tf.Variable(step_value, dtype=tf.int64)
    write_model_config(model_dir, config, {"data": {"name": dataset}})
    ckpt = make_checkpoint(gen, disc, ema_generator=ema, g_optimizer=g_opt,
                           d_optimizer=d_opt, step=step)
    manager = tf.train.CheckpointManager(ckpt, model_dir, max_to_keep=3,
                                         step_counter=step)
    path = manager.save(checkpoint_number=step_value)
    return dict(config=config, generator=gen, ema=ema, discriminator=disc,
                g_optimizer=g_opt, d_optimizer=d_opt, step=step, path=path)


def run_cli(command, *args):
    """Runs `python -m tfbiggan.evaluate command args` in this process, on a
    private FlagValues; errors propagate as exceptions (the command line
    would print them as one `error:` line)."""
    from tfbiggan.evaluate import cli
    fv = cli.COMMAND.flag_values()
    fv(["evaluate", *args])
    cli.COMMAND.body(fv, [command])


def make_tiny_progan_run(model_dir, dataset="digits", step_value=1):
    """A Progressive GAN run directory (32x32, 10 classes, tiny feature maps):
    model_config.json and ckpt-<step> with G, EMA G, D and the step."""
    from tfbiggan.models.progan import ProGANConfig, ProGANDiscriminator, ProGANGenerator
    config = ProGANConfig(resolution=32, z_dim=8, num_classes=10, fmap_base=16, fmap_max=8)
    gen, ema, disc = ProGANGenerator(config), ProGANGenerator(config), ProGANDiscriminator(config)
    for model in (gen, ema, disc):
        model.build()
    step = tf.Variable(step_value, dtype=tf.int64)
    write_model_config(model_dir, config, {"data": {"name": dataset}})
    ckpt = make_checkpoint(gen, disc, ema_generator=ema, step=step)
    path = tf.train.CheckpointManager(ckpt, model_dir, max_to_keep=3,
                                      step_counter=step).save(checkpoint_number=step_value)
    return dict(config=config, generator=gen, ema=ema, discriminator=disc, path=path)
