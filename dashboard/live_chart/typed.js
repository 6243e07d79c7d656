// Plotly's typed arrays as plotly.py sends them ({dtype, bdata[, shape]}, base64): shared by
// index.html (heatmaps updated in place) and overlay.js (the canvas).
"use strict";

const TYPED = { f4: Float32Array, f8: Float64Array, i1: Int8Array, u1: Uint8Array, i2: Int16Array, i4: Int32Array };

function isTyped(a) { return a !== null && typeof a === "object" && typeof a.bdata === "string" && a.dtype in TYPED; }

function decode(a) {
  const text = atob(a.bdata), bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return new TYPED[a.dtype](bytes.buffer);
}

// How many values a typed array holds, without decoding it.
function typedLength(a) {
  const pad = a.bdata.endsWith("==") ? 2 : a.bdata.endsWith("=") ? 1 : 0;
  return ((a.bdata.length / 4) * 3 - pad) / TYPED[a.dtype].BYTES_PER_ELEMENT;
}
