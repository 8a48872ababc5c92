"""Parameter counts of built models: the one way the project counts them."""
import math


def count_parameters(model, trainable=True):
    """Number of scalars in a built model's trainable (or all) weights.

    Trainable parameters are what papers and the hf/compare_gan counts report;
    standing statistics, moving averages and spectral-norm vectors are not.
    """
    weights = model.trainable_weights if trainable else model.weights
    return sum(math.prod(int(d) for d in w.shape) for w in weights)
