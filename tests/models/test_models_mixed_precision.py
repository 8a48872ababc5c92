"""A tiny G and D under mixed_bfloat16 train forward and backward."""
import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.losses import hinge_d, hinge_g
from tfbiggan.models import Discriminator, Generator, get_preset
from tfbiggan.models import accumulate_standing_stats


@pytest.mark.parametrize("preset", ["tiny-deep"])
def test_mixed_bfloat16_forward_and_backward(preset):
    cfg = get_preset(preset)
    g = Generator(cfg, dtype="mixed_bfloat16")
    d = Discriminator(cfg, dtype="mixed_bfloat16")
    g.build()
    d.build()
    assert all(v.dtype == "float32" for v in g.variables + d.variables)
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4, cfg.z_dim)).astype("f")
    y = np.eye(cfg.num_classes, dtype="f")[[0, 1, 2, 3]]
    with tf.GradientTape(persistent=True) as tape:
        images = g(z, y, training=True)
        fake = d(images, y, training=True)
        real = d(tf.zeros_like(images), y, training=True)
        g_loss, d_loss = hinge_g(fake), hinge_d(real, fake)
    assert images.dtype == tf.float32 and images.shape == (4, 32, 32, 3)
    assert fake.dtype == tf.float32
    for loss, model in ((g_loss, g), (d_loss, d)):
        grads = tape.gradient(loss, model.trainable_variables)
        missing = [v.path for v, gr in zip(model.trainable_variables, grads) if gr is None]
        assert not missing
        assert all(np.isfinite(gr.numpy()).all() for gr in grads)
        assert any(np.abs(gr.numpy()).max() > 0 for gr in grads)
    accumulate_standing_stats(g, num_batches=1, batch_size=2, seed=0)
    out = g(z, y, truncation=0.5)
    assert out.dtype == tf.float32 and np.isfinite(out.numpy()).all()
