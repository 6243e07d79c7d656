/* The batched trainer's fused CPU passes (ganlab/train/native.py compiles this file).

   Each GAN's whole step runs here, one GAN after another on each thread, a block of its
   minibatch's rows at a time: G's forward pass, D's forward pass, the loss's gradient and the
   backward passes, with every activation in the cache and every weight gradient summed over
   the blocks. native.py appends each network's layer-by-layer passes (G_fwd, D_bwd, ...),
   written with its sizes as constants, then the steps at the end of this file.

   The weights of one GAN's network lie in one row: each layer's (in, out) matrix, x @ W, then
   its bias, as ganlab.train.batched.Stack keeps them. Units: slope >= 0 is a rectifier
   (LeakyReLU, ReLU at 0) whose backward reads its output; slope < 0 marks SiLU, whose
   backward reads its input. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define AI static inline __attribute__((always_inline))
#define RB 8     /* rows (or weight rows) of a register tile */
#define BLOCK 32 /* minibatch rows that go through the networks together */

typedef float v16 __attribute__((vector_size(64)));

AI v16 ld(const float *p) { v16 v; memcpy(&v, p, sizeof v); return v; }
AI void st(float *p, v16 v) { memcpy(p, &v, sizeof v); }
AI v16 splat(float x) { return (v16){0} + x; }
AI float hsum(v16 v) { float s = 0.0f; for (int i = 0; i < 16; i++) s += v[i]; return s; }

/* exp(x) for float: Cephes' expf (about 1 ulp), written so that loops of it vectorise. Below
   -87.3 it gives exp(-87.3) (about 1e-38) instead of a smaller number or 0; above 88.37 it
   gives exp(88.37) instead of an infinity; a NaN stays a NaN. */
AI float gl_exp(float x) {
  x = x < -87.3f ? -87.3f : (x > 88.37f ? 88.37f : x);
  float n = __builtin_rintf(x * 1.44269504088896341f);
  n = n == n ? n : 0.0f; /* a NaN's exponent: 0, not a NaN converted to an integer */
  const float f = x - n * 0.693359375f + n * 2.12194440e-4f;
  float y = 1.9875691500e-4f;
  y = y * f + 1.3981999507e-3f;
  y = y * f + 8.3334519073e-3f;
  y = y * f + 4.1665795894e-2f;
  y = y * f + 1.6666665459e-1f;
  y = y * f + 5.0000001201e-1f;
  y = y * f * f + f + 1.0f;
  const int32_t bits = ((int32_t)n + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return y * scale;
}

/* -- matrix products in register tiles (widths that are multiples of 16) ----------------- */

/* y (nr x 16nv) = x (nr x in, rows xs apart) @ W (in x 16nv, rows ws apart) + b (or 0) */
AI void mm_tile(const int nr, const int nv, const float *restrict x, const int xs, const int in,
                const float *restrict W, const int ws, const float *restrict b, float *restrict y,
                const int ys) {
  v16 acc[RB][2];
  for (int q = 0; q < nr; q++)
    for (int v = 0; v < nv; v++) acc[q][v] = b ? ld(b + 16 * v) : splat(0.0f);
  for (int k = 0; k < in; k++) {
    v16 w[2];
    for (int v = 0; v < nv; v++) w[v] = ld(W + k * ws + 16 * v);
    for (int q = 0; q < nr; q++) {
      const v16 xv = splat(x[q * xs + k]);
      for (int v = 0; v < nv; v++) acc[q][v] += xv * w[v];
    }
  }
  for (int q = 0; q < nr; q++)
    for (int v = 0; v < nv; v++) st(y + q * ys + 16 * v, acc[q][v]);
}

/* y's columns c to c + 16nv, every row: tiles of RB rows, then the rows left one by one */
AI void mm_columns(const int nv, const int rows, const float *restrict x, const int in,
                   const float *restrict W, const float *restrict b, float *restrict y, const int out,
                   const int c) {
  const float *bc = b ? b + c : 0;
  int r = 0;
  for (; r + RB <= rows; r += RB) mm_tile(RB, nv, x + r * in, in, in, W + c, out, bc, y + r * out + c, out);
  for (; r < rows; r++) mm_tile(1, nv, x + r * in, in, in, W + c, out, bc, y + r * out + c, out);
}

/* y (rows x out) = x (rows x in) @ W (in x out) + b (or 0); out a multiple of 16 */
AI void mm(const int rows, const float *restrict x, const int in, const float *restrict W,
           const float *restrict b, float *restrict y, const int out) {
  for (int c = 0; c < out; c += 32) {
    if (out - c >= 32)
      mm_columns(2, rows, x, in, W, b, y, out, c);
    else
      mm_columns(1, rows, x, in, W, b, y, out, c);
  }
}

/* dW (nk x 16nv, rows ds apart) += x[:, k0:k0+nk]^T g (rows x 16nv) */
AI void wg_tile(const int nk, const int nv, const int rows, const float *restrict x, const int in,
                const float *restrict g, const int out, float *restrict dW) {
  v16 acc[RB][2];
  for (int q = 0; q < nk; q++)
    for (int v = 0; v < nv; v++) acc[q][v] = ld(dW + q * out + 16 * v);
  for (int r = 0; r < rows; r++) {
    v16 gv[2];
    for (int v = 0; v < nv; v++) gv[v] = ld(g + r * out + 16 * v);
    for (int q = 0; q < nk; q++) {
      const v16 xv = splat(x[r * in + q]);
      for (int v = 0; v < nv; v++) acc[q][v] += xv * gv[v];
    }
  }
  for (int q = 0; q < nk; q++)
    for (int v = 0; v < nv; v++) st(dW + q * out + 16 * v, acc[q][v]);
}

/* dW's columns c to c + 16nv, every weight row: tiles of RB rows, then the rows left one by one */
AI void wg_columns(const int nv, const int rows, const float *restrict x, const int in,
                   const float *restrict g, const int out, float *restrict dW, const int c) {
  int k = 0;
  for (; k + RB <= in; k += RB) wg_tile(RB, nv, rows, x + k, in, g + c, out, dW + k * out + c);
  for (; k < in; k++) wg_tile(1, nv, rows, x + k, in, g + c, out, dW + k * out + c);
}

/* -- one layer's passes, any sizes ---------------------------------------------------------- */

/* y (rows x out) = x (rows x in) @ W + b */
AI void fwd(const int rows, const float *restrict x, const float *restrict W, const float *restrict b,
            float *restrict y, const int in, const int out) {
  if (in == 1) {
    for (int r = 0; r < rows; r++)
      for (int o = 0; o < out; o++) y[r * out + o] = b[o] + x[r] * W[o];
  } else if (out == 1 && in % 16 == 0) {
    for (int r = 0; r < rows; r++) {
      v16 s = splat(0.0f);
      for (int k = 0; k < in; k += 16) s += ld(x + r * in + k) * ld(W + k);
      y[r] = hsum(s) + b[0];
    }
  } else if (out % 16 == 0) {
    mm(rows, x, in, W, b, y, out);
  } else {
    for (int r = 0; r < rows; r++)
      for (int o = 0; o < out; o++) {
        float s = b[o];
        for (int k = 0; k < in; k++) s += x[r * in + k] * W[k * out + o];
        y[r * out + o] = s;
      }
  }
}

/* dW += x^T g, db += the column sums of g */
AI void wgrad(const int rows, const float *restrict x, const float *restrict g, float *restrict dW,
              float *restrict db, const int in, const int out) {
  for (int r = 0; r < rows; r++)
    for (int o = 0; o < out; o++) db[o] += g[r * out + o];
  if (out % 16 == 0 && in > 1) {
    for (int c = 0; c < out; c += 32) {
      if (out - c >= 32)
        wg_columns(2, rows, x, in, g, out, dW, c);
      else
        wg_columns(1, rows, x, in, g, out, dW, c);
    }
  } else {
    for (int r = 0; r < rows; r++)
      for (int k = 0; k < in; k++)
        for (int o = 0; o < out; o++) dW[k * out + o] += x[r * in + k] * g[r * out + o];
  }
}

/* dx (rows x in) = g (rows x out) @ W^T, WT the (out x in) transpose when both sizes exceed 1 */
AI void igrad(const int rows, const float *restrict g, const float *restrict W, const float *restrict WT,
              float *restrict dx, const int in, const int out) {
  if (out == 1) {
    for (int r = 0; r < rows; r++)
      for (int k = 0; k < in; k++) dx[r * in + k] = g[r] * W[k];
  } else if (in == 1 && out % 16 == 0) {
    for (int r = 0; r < rows; r++) {
      v16 s = splat(0.0f);
      for (int o = 0; o < out; o += 16) s += ld(g + r * out + o) * ld(W + o);
      dx[r] = hsum(s);
    }
  } else if (in % 16 == 0) {
    mm(rows, g, out, WT, 0, dx, in);
  } else {
    for (int r = 0; r < rows; r++)
      for (int k = 0; k < in; k++) {
        float s = 0.0f;
        for (int o = 0; o < out; o++) s += g[r * out + o] * W[k * out + o];
        dx[r * in + k] = s;
      }
  }
}

AI void transpose(const float *restrict W, float *restrict WT, const int in, const int out) {
  for (int k = 0; k < in; k++)
    for (int o = 0; o < out; o++) WT[o * in + k] = W[k * out + o];
}

/* h = the units of a (n numbers) */
AI void unit_fwd(const int n, const float *restrict a, float *restrict h, const float slope) {
  if (slope < 0.0f) {
    for (int i = 0; i < n; i++) h[i] = a[i] / (1.0f + gl_exp(-a[i]));
  } else {
    for (int i = 0; i < n; i++) h[i] = a[i] > 0.0f ? a[i] : a[i] * slope;
  }
}

/* g (d loss / d output) becomes d loss / d input; state: SiLU's input, a rectifier's output.
   As torch's silu_backward and leaky_relu_backward. */
AI void unit_bwd(const int n, float *restrict g, const float *restrict state, const float slope) {
  if (slope < 0.0f) {
    for (int i = 0; i < n; i++) {
      const float s = 1.0f / (1.0f + gl_exp(-state[i]));
      g[i] = g[i] * s * (1.0f + state[i] * (1.0f - s));
    }
  } else {
    for (int i = 0; i < n; i++) g[i] = state[i] > 0.0f ? g[i] : g[i] * slope;
  }
}

/* scale * d/dx softplus(x), as torch's softplus_backward (beta 1, threshold 20) */
AI float softplus_grad(const float x, const float scale) {
  if (x > 20.0f) return scale;
  const float z = gl_exp(x);
  return scale * z / (z + 1.0f);
}

/* @NETWORKS@: native.py writes G's and D's passes here */

/* -- the steps ------------------------------------------------------------------------------ */

/* One GAN's D gradient (without R1) into gr (D_SIZE, zeroed): real (B, D_IN) and z (B, G_IN)
   its minibatches; logits (2B) its D's on real then fake data. The loss: softplus(-D(x)) +
   softplus(D(G(z))), each the mean over the minibatch. */
AI void d_one(const int B, const float *gp, const float *dp, G_ws *gw, D_ws *dw, const float *real,
              const float *z, float *gr, float *logits) {
  float fake[BLOCK * D_IN], dl[BLOCK];
  const float scale = 1.0f / (float)B;
  for (int pass = 0; pass < 2; pass++)
    for (int r0 = 0; r0 < B; r0 += BLOCK) {
      const int rows = B - r0 < BLOCK ? B - r0 : BLOCK;
      const float *x = fake;
      if (pass == 0)
        x = real + (size_t)r0 * D_IN;
      else
        G_fwd(rows, gp, gw, z + (size_t)r0 * G_IN, fake);
      float *lg = logits + (size_t)pass * B + r0;
      D_fwd(rows, dp, dw, x, lg);
      for (int r = 0; r < rows; r++)
        dl[r] = pass == 0 ? -softplus_grad(-lg[r], scale) : softplus_grad(lg[r], scale);
      D_bwd(rows, dp, dw, x, dl, gr, 0);
    }
}

/* One GAN's G gradient against its own D into gr (G_SIZE, zeroed): z (B, G_IN); logits (B)
   its D's on G's fakes. G minimises -softplus(D(G(z))) (minimax: log(1 - D)) or
   softplus(-D(G(z))) (non-saturating: -log D), the mean over the minibatch. */
AI void g_one(const int B, const int minimax, const float *gp, const float *dp, G_ws *gw, D_ws *dw,
              const float *z, float *gr, float *logits) {
  float fake[BLOCK * D_IN], dl[BLOCK], dx[BLOCK * D_IN];
  const float scale = 1.0f / (float)B;
  for (int r0 = 0; r0 < B; r0 += BLOCK) {
    const int rows = B - r0 < BLOCK ? B - r0 : BLOCK;
    const float *zb = z + (size_t)r0 * G_IN;
    float *lg = logits + r0;
    G_fwd(rows, gp, gw, zb, fake);
    D_fwd(rows, dp, dw, fake, lg);
    for (int r = 0; r < rows; r++)
      dl[r] = minimax ? -softplus_grad(lg[r], scale) : -softplus_grad(-lg[r], scale);
    D_bwd(rows, dp, dw, fake, dl, 0, dx);
    G_bwd(rows, gp, gw, zb, dx, gr, 0);
  }
}

/* D's gradient (player 0: out (n, D_SIZE), logits (n, 2B)) or G's (player 1: out (n,
   G_SIZE), logits (n, B)) for GANs [0, n), one GAN after another on each of `threads`
   threads. real (n, B, D_IN) and z (n, B, G_IN): each GAN's minibatches, real_stride and
   z_stride numbers apart (real unused for G). Returns 1 when memory ran out (nothing valid
   written), else 0. */
int grad(int player, int n, int B, int threads, int minimax, const float *gP, const float *dP,
         const float *real, long real_stride, const float *z, long z_stride, float *out,
         float *logits) {
  const int size = player == 0 ? D_SIZE : G_SIZE, per = player == 0 ? 2 * B : B;
  int failed = 0;
#pragma omp parallel num_threads(threads)
  {
    G_ws *gw = malloc(sizeof(G_ws));
    D_ws *dw = malloc(sizeof(D_ws));
#pragma omp for schedule(static)
    for (int i = 0; i < n; i++) {
      if (!gw || !dw) {
#pragma omp atomic write
        failed = 1;
        continue;
      }
      const float *gp = gP + (size_t)i * G_SIZE, *dp = dP + (size_t)i * D_SIZE;
      float *gr = out + (size_t)i * size;
      memset(gr, 0, sizeof(float) * size);
      if (player == 1) G_prep(gp, gw); /* G's transposes serve its backward pass only */
      D_prep(dp, dw);
      if (player == 0)
        d_one(B, gp, dp, gw, dw, real + (size_t)i * real_stride, z + (size_t)i * z_stride, gr,
              logits + (size_t)i * per);
      else
        g_one(B, minimax, gp, dp, gw, dw, z + (size_t)i * z_stride, gr, logits + (size_t)i * per);
    }
    free(gw);
    free(dw);
  }
  return failed;
}
