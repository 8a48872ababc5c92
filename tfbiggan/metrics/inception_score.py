"""Inception Score (IS) from classifier logits.

IS = exp(E_x KL(p(y|x) || p(y))), where p(y) is the mean of p(y|x) over the
samples of one split. By convention (Salimans et al. 2016) the samples are cut
into 10 contiguous splits and the mean and standard deviation of the per-split
scores are reported. Computed in float64 with log-softmax, as TF-GAN does.
"""
import numpy as np

from tfbiggan.metrics._validation import as_matrix, check_positive_int


def _log_softmax(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def _log_mean_exp(x, axis):
    peak = x.max(axis=axis, keepdims=True)
    return np.squeeze(peak, axis) + np.log(np.mean(np.exp(x - peak), axis=axis))


def _split_score(logits):
    log_p = _log_softmax(logits)                      # log p(y|x), [n, C]
    p = np.exp(log_p)
    # log p(y) as a log-mean-exp: np.log(p.mean(0)) gives -inf (then NaN) for a
    # class whose probabilities all underflow.
    log_q = _log_mean_exp(log_p, axis=0)
    kl = np.sum(p * (log_p - log_q), axis=1)          # [n]
    return float(np.exp(np.mean(kl)))


def inception_score_from_logits(logits, splits=10):
    """Inception Score mean and standard deviation over `splits` splits.

    Args:
      logits: array [N, C] of unnormalised class scores (pre-softmax), C >= 2,
        N >= splits. Split i holds rows [i*N//splits, (i+1)*N//splits).
      splits: number of contiguous splits (10 by convention).

    Returns:
      (mean, std) floats; std is the population std (ddof=0) over splits, 0.0
      with one split. The score lies in [1, C]: 1 for uniform predictions, C for
      confident predictions spread evenly over C classes.
    """
    splits = check_positive_int(splits, "splits")
    logits = as_matrix(logits, "logits", min_rows=splits,
                       why=f"Each of the {splits} splits needs at least one "
                           "sample (lower `splits` for small sets).")
    if logits.shape[1] < 2:
        raise ValueError(
            f"`logits` must have at least 2 classes, got shape {logits.shape}.")
    n = logits.shape[0]
    scores = [_split_score(logits[i * n // splits:(i + 1) * n // splits])
              for i in range(splits)]
    return float(np.mean(scores)), float(np.std(scores))
