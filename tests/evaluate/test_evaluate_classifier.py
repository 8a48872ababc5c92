"""The dataset classifier that evaluation uses as a feature extractor."""
import numpy as np

from tfbiggan.evaluate.classifier import classifier_accuracy, train_classifier


def test_train_classifier_learns_separable_classes():
    rng = np.random.default_rng(0)
    labels = np.arange(150) % 3
    images = np.full((150, 8, 8, 1), -0.5, np.float32)
    images[labels == 0, ::2] = 0.5                 # horizontal stripes
    images[labels == 1, :, ::2] = 0.5              # vertical stripes
    images[labels == 2, 2:6, 2:6] = 0.5            # central square
    images += rng.normal(scale=0.2, size=images.shape).astype(np.float32)
    images = np.clip(images, -1, 1)
    model = train_classifier(images, labels, epochs=8, batch_size=32,
                             learning_rate=3e-3, name="bands")
    assert model.name == "bands"
    assert classifier_accuracy(model, images, labels) > 0.9
