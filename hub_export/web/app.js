// BigGAN demo page: loads model/model.json (a TF.js graph model exported by
// `python -m hub_export.tfjs`) and draws a grid of class-conditional samples.
//
// Model contract (signature "default"): inputs z float32 [batch, z_dim],
// y float32 [batch, num_classes] (one-hot), truncation float32 []; output
// images float32 [batch, R, R, 3] in [-1, 1].
//
// z_dim and num_classes come from the model's input signature, or from
// model/model_card.json ({"z_dim": ..., "num_classes": ...}) where the
// signature leaves them unknown. model/labels.json (optional) names the
// classes: a list of strings, or an object {"<class id>": "name"}.
//
// The search box filters the class picker (substring of "id: name", any
// case); Enter picks the first match.
//
// URL parameters preset the controls: ?seed=3&truncation=0.4&class=7&count=4
// and ?backend=webgl|wasm|cpu picks a TF.js backend (the Backend menu reloads
// the page with it). The wasm backend loads its .wasm files from the site
// root; it runs multi-threaded when the server sends the cross-origin
// isolation headers (python -m hub_export.web --serve does).
//
// For automated checks, <body data-status> is "loading", "busy", "ready" or
// "error", and window.bigganDemo holds the model facts, the backend, the load
// time (loadMs: fetching the graph and its weights until the model is ready),
// the timings (firstMs, lastMs: one grid, sampling to pixels) and the last
// inputs (z, class ids, truncation) so a test can recompute the images.

import {makeRng, sampleClasses, sampleZ} from './sampling.js';

const MODEL_URL = 'model/model.json';
const $ = (id) => document.getElementById(id);

function setStatus(state, text) {
  document.body.dataset.status = state;
  $('status').textContent = text;
}

/** Fetches optional JSON; null when the file is absent. */
async function fetchOptionalJson(url) {
  const response = await fetch(url);
  if (!response.ok) return null;
  try {
    return await response.json();
  } catch (err) {
    throw new Error(`${url} is not valid JSON (${err.message}); fix or remove it.`);
  }
}

/** Reads the size of `name`'s last dimension from the model signature. */
function signatureDim(model, name) {
  const input = model.inputs.find((t) => t.name === name || t.name === `${name}:0`);
  if (!input || !input.shape || input.shape.length < 2) return null;
  const size = input.shape[input.shape.length - 1];
  return size > 0 ? size : null;
}

function modelFacts(model, card) {
  const names = model.inputs.map((t) => t.name.replace(/:0$/, ''));
  for (const required of ['z', 'y', 'truncation']) {
    if (!names.includes(required)) {
      throw new Error(`${MODEL_URL} has inputs [${names}], expected z, y and truncation. ` +
                      'Convert the "default" signature with python -m hub_export.tfjs.');
    }
  }
  card = card || {};
  const zDim = signatureDim(model, 'z') ?? card.z_dim ?? card.dim_z;
  const numClasses = signatureDim(model, 'y') ?? card.num_classes ?? card.n_classes;
  if (!(zDim > 0) || !(numClasses > 0)) {
    throw new Error('z_dim / num_classes are unknown in the model signature; add ' +
                    'model/model_card.json with {"z_dim": N, "num_classes": K}.');
  }
  return {zDim, numClasses};
}

/** Class names: labels.json, else the model card's labels, else none. */
function classNames(labels, card, numClasses) {
  const source = labels ?? (card && (card.labels ?? card.class_names)) ?? null;
  const names = new Array(numClasses).fill('');
  if (Array.isArray(source)) {
    source.slice(0, numClasses).forEach((n, i) => { names[i] = String(n); });
  } else if (source && typeof source === 'object') {
    for (const [key, value] of Object.entries(source)) {
      const i = Number(key);
      if (Number.isInteger(i) && i >= 0 && i < numClasses) names[i] = String(value);
    }
  }
  return names;
}

/** Shows only the classes whose label contains `query`; returns the first shown. */
function filterClasses(query) {
  const q = query.trim().toLowerCase();
  let shown = 0;
  let first = null;
  for (const option of $('class-picker').options) {
    if (option.value === '-1') continue;
    const match = !q || option.textContent.toLowerCase().includes(q);
    option.hidden = !match;
    if (match) {
      shown += 1;
      first = first ?? option;
    }
  }
  $('class-matches').textContent = q ? `(${shown} match${shown === 1 ? '' : 'es'})` : '';
  return first;
}

function fillClassPicker(names) {
  const picker = $('class-picker');
  names.forEach((name, i) => {
    const option = document.createElement('option');
    option.value = String(i);
    option.textContent = name ? `${i}: ${name}` : String(i);
    picker.appendChild(option);
  });
}

function applyUrlParams(numClasses) {
  const params = new URLSearchParams(window.location.search);
  if (params.has('seed')) $('seed').value = String(Math.max(0, parseInt(params.get('seed'), 10) || 0));
  if (params.has('truncation')) {
    const t = Math.min(1, Math.max(0, parseFloat(params.get('truncation')) || 0));
    $('truncation').value = String(t);
  }
  if (params.has('class')) {
    const c = parseInt(params.get('class'), 10);
    $('class-picker').value = String(c >= 0 && c < numClasses ? c : -1);
  }
  if (params.has('count')) $('count').value = params.get('count');
}

function readControls() {
  return {
    seed: parseInt($('seed').value, 10) || 0,
    truncation: parseFloat($('truncation').value),
    classId: parseInt($('class-picker').value, 10),
    count: parseInt($('count').value, 10) || 8,
  };
}

/** Runs the graph model; returns the images tensor [batch, R, R, 3]. */
async function runModel(model, feeds) {
  let result;
  try {
    result = model.execute(feeds);
  } catch (err) {
    if (!/executeAsync/.test(err.message)) throw err;
    result = await model.executeAsync(feeds);
  }
  if (Array.isArray(result)) return result[0];
  if (result && typeof result.dataSync === 'function') return result;
  return result.default ?? Object.values(result)[0];
}

/** Samples, generates and draws one grid. */
async function generate(state) {
  const {seed, truncation, classId, count} = readControls();
  const {model, zDim, numClasses, names} = state;
  setStatus('busy', `Generating ${count} images…`);
  const uniform = makeRng(seed);
  const z = sampleZ(uniform, count, zDim, truncation);
  const classes = sampleClasses(uniform, count, numClasses, classId);

  const start = performance.now();
  const feeds = {
    z: tf.tensor2d(z, [count, zDim]),
    y: tf.oneHot(tf.tensor1d(classes, 'int32'), numClasses).toFloat(),
    truncation: tf.scalar(truncation, 'float32'),
  };
  const images = await runModel(model, feeds);
  // [-1, 1] -> [0, 1] for toPixels.
  const pixels = tf.tidy(() => images.add(1).div(2).clipByValue(0, 1));
  const perImage = tf.unstack(pixels);
  await pixels.data();  // wait for the model before timing
  const ms = performance.now() - start;

  const grid = $('grid');
  grid.replaceChildren();
  for (let i = 0; i < count; i++) {
    const figure = document.createElement('figure');
    const canvas = document.createElement('canvas');
    const caption = document.createElement('figcaption');
    caption.textContent = names[classes[i]] ? `${classes[i]}: ${names[classes[i]]}` :
                                              `class ${classes[i]}`;
    figure.append(canvas, caption);
    grid.appendChild(figure);
    await tf.browser.toPixels(perImage[i], canvas);
  }
  const resolution = images.shape[1];
  tf.dispose([...Object.values(feeds), images, pixels, ...perImage]);

  state.bigganDemo.lastInputs = {
    z: Array.from(z), zShape: [count, zDim], classes: Array.from(classes), truncation,
  };
  state.bigganDemo.firstMs = state.bigganDemo.firstMs ?? ms;
  state.bigganDemo.lastMs = ms;
  state.bigganDemo.renders += 1;
  state.bigganDemo.resolution = resolution;
  setStatus('ready', `${count} images ${resolution}×${resolution} in ${ms.toFixed(0)} ms ` +
                     `(backend ${tf.getBackend()}, seed ${seed}, truncation ${truncation.toFixed(2)})`);
}

async function main() {
  if (typeof tf === 'undefined') {
    throw new Error('tf.min.js did not load; build the site with python -m hub_export.web.');
  }
  const backend = new URLSearchParams(window.location.search).get('backend');
  $('backend').value = backend || '';
  if (backend === 'wasm') {
    if (!tf.wasm) throw new Error('tf-backend-wasm.min.js did not load; rebuild the site.');
    tf.wasm.setWasmPaths(new URL('./', window.location.href).href);
  }
  if (backend && !(await tf.setBackend(backend))) {
    throw new Error(`the TF.js backend "${backend}" could not start in this browser.`);
  }
  await tf.ready();

  const loadStart = performance.now();
  const [model, card, labels] = await Promise.all([
    tf.loadGraphModel(MODEL_URL),
    fetchOptionalJson('model/model_card.json'),
    fetchOptionalJson('model/labels.json'),
  ]);
  const loadMs = performance.now() - loadStart;
  const {zDim, numClasses} = modelFacts(model, card);
  const names = classNames(labels, card, numClasses);
  fillClassPicker(names);
  applyUrlParams(numClasses);

  const state = {
    model, zDim, numClasses, names,
    bigganDemo: {zDim, numClasses, backend: tf.getBackend(), loadMs, renders: 0,
                 firstMs: null, lastMs: null},
  };
  window.bigganDemo = state.bigganDemo;

  let pending = Promise.resolve();
  const rerun = () => {
    pending = pending.then(() => generate(state)).catch(showError);
  };
  $('truncation').addEventListener('input', () => {
    $('truncation-value').textContent = Number($('truncation').value).toFixed(2);
  });
  $('truncation').addEventListener('change', rerun);
  $('class-picker').addEventListener('change', rerun);
  $('count').addEventListener('change', rerun);
  $('seed').addEventListener('change', rerun);
  $('resample').addEventListener('click', () => {
    $('seed').value = String((parseInt($('seed').value, 10) || 0) + 1);
    rerun();
  });
  $('class-search').addEventListener('input', () => filterClasses($('class-search').value));
  $('class-search').addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    const first = filterClasses($('class-search').value);
    if (first && $('class-picker').value !== first.value) {
      $('class-picker').value = first.value;
      rerun();
    }
  });
  $('backend').addEventListener('change', () => {
    const params = new URLSearchParams(window.location.search);
    if ($('backend').value) params.set('backend', $('backend').value);
    else params.delete('backend');
    window.location.search = params.toString();
  });
  $('truncation-value').textContent = Number($('truncation').value).toFixed(2);
  $('class-search').disabled = false;
  $('class-picker').disabled = false;
  $('resample').disabled = false;
  rerun();
  await pending;
}

function showError(err) {
  console.error(err);
  setStatus('error', `Error: ${err.message}`);
}

main().catch(showError);
