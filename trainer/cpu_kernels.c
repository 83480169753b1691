/*
 * Fused float32 kernels for the stacked trainer's CPU path (trainer/cpu_kernels.py
 * compiles and loads this file; trainer/batched.py calls it).
 *
 * Each function does, in one pass over memory, what takes two to nine tensor ops
 * in trainer/batched.py's torch path, and computes the same quantities: the exact
 * (erf) GELU and its derivative Phi(x) + x * phi(x), dropout masks already scaled by
 * 1 / (1 - p), and the mean-squared-error head. Tensors are the trainer's own
 * contiguous [k, rows, hidden] buffers; a pointer plus a per-model stride is passed
 * where a view is not contiguous across models (masks, parameters, targets).
 * A mask pointer may be NULL (no dropout).
 *
 * erff and expf are glibc's vector variants (libmvec, 8 lanes of AVX2); the
 * declarations below let the compiler call them from the simd loops.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#pragma omp declare simd notinbranch simdlen(8)
extern float erff(float);
#pragma omp declare simd notinbranch simdlen(8)
extern float expf(float);

#define INV_SQRT2 0.70710678118654752440f
#define INV_SQRT_2PI 0.39894228040143267794f

static inline float gelu(float x) { return 0.5f * x * (1.0f + erff(x * INV_SQRT2)); }

static inline float gelu_grad(float x) {
    return 0.5f * (1.0f + erff(x * INV_SQRT2)) + x * expf(-0.5f * x * x) * INV_SQRT_2PI;
}

/* h = gelu(z) * m for k models of n values each. */
void gelu_mask(long k, long n, const float *z, const float *m, long m_stride, float *h) {
    for (long i = 0; i < k; i++) {
        const float *zi = z + i * n;
        float *hi = h + i * n;
        if (m != NULL) {
            const float *mi = m + i * m_stride;
#pragma omp simd
            for (long j = 0; j < n; j++) hi[j] = gelu(zi[j]) * mi[j];
        } else {
#pragma omp simd
            for (long j = 0; j < n; j++) hi[j] = gelu(zi[j]);
        }
    }
}

/* d = d * m * gelu'(z), in place: the gradient through dropout and GELU. */
void gelu_mask_backward(long k, long n, const float *z, const float *m, long m_stride,
                        float *d) {
    for (long i = 0; i < k; i++) {
        const float *zi = z + i * n;
        float *di = d + i * n;
        if (m != NULL) {
            const float *mi = m + i * m_stride;
#pragma omp simd
            for (long j = 0; j < n; j++) di[j] = di[j] * mi[j] * gelu_grad(zi[j]);
        } else {
#pragma omp simd
            for (long j = 0; j < n; j++) di[j] = di[j] * gelu_grad(zi[j]);
        }
    }
}

/*
 * The output layer, the loss and the way back through layer 2's GELU, per model i:
 *   out[b]   = sum_j h2[b, j] * w3[j] + b3            (h2 already masked)
 *   d_out[b] = (out[b] - y[b]) * w[b]                 (w: 2 / batch rows, 0 on padding)
 *   g3[j]    = sum_b h2[b, j] * d_out[b]              (gradient of w3)
 *   gb3      = sum_b d_out[b]                         (gradient of b3)
 *   d2[b, j] = d_out[b] * w3[j] * m2[b, j] * gelu'(z2[b, j])
 *   gb2[j]   = sum_b d2[b, j]                         (gradient of b2)
 * w3 and b3 point into the flat parameter rows (model stride p_stride).
 */
void head(long k, long rows, long hidden, const float *h2, const float *w3, const float *b3,
          long p_stride, const float *y, long y_stride, const float *w, long w_stride,
          const float *m2, long m_stride, const float *z2, float *d2, float *g3, float *gb3,
          float *gb2) {
    for (long i = 0; i < k; i++) {
        const float *w3i = w3 + i * p_stride;
        const float b3i = b3[i * p_stride];
        const float *yi = y + i * y_stride;
        const float *wi = w + i * w_stride;
        float *g3i = g3 + i * hidden;
        float *gb2i = gb2 + i * hidden;
        float gsum = 0.0f;
        memset(g3i, 0, sizeof(float) * (size_t)hidden);
        memset(gb2i, 0, sizeof(float) * (size_t)hidden);
        for (long b = 0; b < rows; b++) {
            const long at = (i * rows + b) * hidden;
            const float *hb = h2 + at;
            const float *zb = z2 + at;
            float *db = d2 + at;
            float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
            for (long j = 0; j < hidden; j++) acc += hb[j] * w3i[j];
            const float d_out = (acc + b3i - yi[b]) * wi[b];
            gsum += d_out;
            if (m2 != NULL) {
                const float *mb = m2 + i * m_stride + b * hidden;
#pragma omp simd
                for (long j = 0; j < hidden; j++) {
                    const float dz = d_out * w3i[j] * mb[j] * gelu_grad(zb[j]);
                    g3i[j] += hb[j] * d_out;
                    db[j] = dz;
                    gb2i[j] += dz;
                }
            } else {
#pragma omp simd
                for (long j = 0; j < hidden; j++) {
                    const float dz = d_out * w3i[j] * gelu_grad(zb[j]);
                    g3i[j] += hb[j] * d_out;
                    db[j] = dz;
                    gb2i[j] += dz;
                }
            }
        }
        gb3[i] = gsum;
    }
}
