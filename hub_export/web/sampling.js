// Seedable sampling of BigGAN inputs, shared by the demo page and its tests.
//
// z = truncation * truncnorm(-2, 2): standard normal samples restricted to
// [-2, 2] by rejection, then scaled, so |z| <= 2 * truncation.

/** Default bound of the truncated normal. */
export const TRUNCNORM_BOUND = 2;

/**
 * A seeded uniform generator on [0, 1): a 32-bit Weyl sequence passed through
 * the MurmurHash3 finaliser. Same seed, same stream, in every JS engine.
 * @param {number} seed any number; its low 32 bits are used.
 * @return {function(): number}
 */
export function makeRng(seed) {
  let counter = (Math.floor(Number(seed)) >>> 0) ^ 0x5bd1e995;
  return function uniform() {
    counter = (counter + 0x9e3779b9) >>> 0;
    let h = counter;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    return (h >>> 0) / 4294967296;
  };
}

/** One standard normal sample (Box-Muller, cosine branch). */
export function standardNormal(uniform) {
  const radius = Math.sqrt(-2 * Math.log(1 - uniform()));  // 1 - u is in (0, 1]
  return radius * Math.cos(2 * Math.PI * uniform());
}

/**
 * `count` samples of a standard normal restricted to [-bound, bound].
 * @return {Float32Array}
 */
export function truncatedNormal(uniform, count, bound = TRUNCNORM_BOUND) {
  if (!(bound > 0)) throw new Error(`truncatedNormal: bound must be > 0, got ${bound}`);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let x;
    do {
      x = standardNormal(uniform);
    } while (Math.abs(x) > bound);
    out[i] = x;
  }
  return out;
}

/**
 * Latents for `batch` images: truncation * truncnorm(-2, 2), row-major
 * [batch, zDim].
 * @return {Float32Array} of length batch * zDim, values in [-2t, 2t].
 */
export function sampleZ(uniform, batch, zDim, truncation) {
  if (!(truncation >= 0 && truncation <= 1)) {
    throw new Error(`sampleZ: truncation must be in [0, 1], got ${truncation}`);
  }
  const z = truncatedNormal(uniform, batch * zDim);
  for (let i = 0; i < z.length; i++) z[i] *= truncation;
  return z;
}

/** `batch` class ids: all `classId`, or uniformly random when classId < 0. */
export function sampleClasses(uniform, batch, numClasses, classId) {
  const ids = new Int32Array(batch);
  for (let i = 0; i < batch; i++) {
    ids[i] = classId >= 0 ? classId : Math.min(numClasses - 1,
                                               Math.floor(uniform() * numClasses));
  }
  return ids;
}
