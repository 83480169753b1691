/*
 * Fused float32 kernels for the stacked trainer's CPU path (trainer/cpu_kernels.py
 * compiles and loads this file; trainer/batched.py calls it).
 *
 * Each function does, in one pass over memory, what takes two to nine tensor ops
 * in trainer/batched.py's torch path, and computes the same quantities: the exact
 * (erf) GELU x * Phi(x), dropout masks already scaled by 1 / (1 - p) (read in
 * place from the mask pool), the mean-squared-error head, and Adam. The forward
 * pass of a layer also stores the factor its backward pass needs,
 * gp = GELU'(z) * mask with GELU'(x) = Phi(x) + x * phi(x), so the backward reads
 * one array instead of z, Phi and the mask. Tensors are the trainer's own
 * contiguous [k, rows, hidden] buffers; a pointer plus a per-model stride is passed
 * where a view is not contiguous across models (parameters, targets).
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

/*
 * Model i's dropout mask for one layer: m_base + m_off[i * m_step], B x H values
 * already scaled by 1 / (1 - p). With the pool masks m_base is the pool and m_off
 * the step's drawn offsets; otherwise m_base is a mask buffer and m_off the start
 * of each model's block. m_base NULL: no dropout.
 */
#define MASK(i) (m_base + m_off[(i) * m_step])

/*
 * Layer forward after its matmul, per model i and row b, with x = z[b, j] + bias[j]
 * (bias may be NULL) and m the dropout mask (1 when m_base is NULL):
 *   h[b, j]  = x * Phi(x) * m                  (exact GELU, then dropout)
 *   gp[b, j] = (Phi(x) + x * phi(x)) * m       (what the backward multiplies by)
 */
void gelu_forward(long k, long rows, long hidden, const float *z, const float *bias,
                  long b_stride, const float *m_base, const long *m_off, long m_step,
                  float *gp, float *h) {
    const long n = rows * hidden;
    for (long i = 0; i < k; i++) {
        const float *bi = bias != NULL ? bias + i * b_stride : NULL;
        for (long b = 0; b < rows; b++) {
            const long at = i * n + b * hidden;
            const float *zb = z + at;
            float *gb = gp + at, *hb = h + at;
            const float *mb = m_base != NULL ? MASK(i) + b * hidden : NULL;
#pragma omp simd
            for (long j = 0; j < hidden; j++) {
                const float x = bi != NULL ? zb[j] + bi[j] : zb[j];
                const float cdf = 0.5f * (1.0f + erff(x * INV_SQRT2));
                const float pdf = expf(-0.5f * x * x) * INV_SQRT_2PI;
                const float m = mb != NULL ? mb[j] : 1.0f;
                hb[j] = x * cdf * m;
                gb[j] = (cdf + x * pdf) * m;
            }
        }
    }
}

/* d = d * gp, in place: the gradient through a layer's dropout and GELU. */
void gelu_backward(long k, long n, const float *gp, float *d) {
    const long total = k * n;
#pragma omp simd
    for (long j = 0; j < total; j++) d[j] *= gp[j];
}

/*
 * The output layer, the loss and the way back through layer 2's GELU, per model i:
 *   out[b]   = sum_j h2[b, j] * w3[j] + b3            (h2 already masked)
 *   d_out[b] = (out[b] - y[b]) * w[b]                 (w: 2 / batch rows, 0 on padding)
 *   g3[j]    = sum_b h2[b, j] * d_out[b]              (gradient of w3)
 *   gb3      = sum_b d_out[b]                         (gradient of b3)
 *   d2[b, j] = d_out[b] * w3[j] * gp2[b, j]           (gp2 from layer 2's forward)
 *   gb2[j]   = sum_b d2[b, j]                         (gradient of b2)
 * w3 and b3 point into the flat parameter rows (model stride p_stride).
 */
void head(long k, long rows, long hidden, const float *h2, const float *w3, const float *b3,
          long p_stride, const float *y, long y_stride, const float *w, long w_stride,
          const float *gp2, float *d2, float *g3, float *gb3, float *gb2) {
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
            const float *hb = h2 + at, *gb = gp2 + at;
            float *db = d2 + at;
            float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
            for (long j = 0; j < hidden; j++) acc += hb[j] * w3i[j];
            const float d_out = (acc + b3i - yi[b]) * wi[b];
            gsum += d_out;
#pragma omp simd
            for (long j = 0; j < hidden; j++) {
                const float dz = d_out * w3i[j] * gb[j];
                g3i[j] += hb[j] * d_out;
                db[j] = dz;
                gb2i[j] += dz;
            }
        }
        gb3[i] = gsum;
    }
}

/*
 * One torch.optim.Adam step (coupled L2 weight decay) of the first k models:
 *   g = grad + weight_decay * p
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g * g
 *   p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * with t = steps[i], model i's own step count (float32, as torch's), incremented here. Parameters and
 * moments are the flat rows [M, p_stride]; model i's gradient is read straight from
 * the step's n_blocks gradient buffers (block b: sizes[b] values per model at
 * grads[b] + i * sizes[b], blocks in the order of the flat row), so it is never
 * packed into a flat gradient row first.
 */
void adam(long k, long n_blocks, const long *sizes, float *const *grads, float *param,
          float *exp_avg, float *exp_avg_sq, long p_stride, float *steps, double lr,
          double beta1, double beta2, double eps, double weight_decay) {
    const float b1 = (float)beta1, b2 = (float)beta2, e = (float)eps, wd = (float)weight_decay;
    const float c1 = (float)(1.0 - beta1), c2 = (float)(1.0 - beta2);
    for (long i = 0; i < k; i++) {
        steps[i] += 1.0f;
        const double t = steps[i];
        const float step_size = (float)(lr / (1.0 - pow(beta1, t)));
        const float bc2_sqrt = (float)sqrt(1.0 - pow(beta2, t));
        long col = 0;
        for (long blk = 0; blk < n_blocks; blk++) {
            const long n = sizes[blk];
            const float *g = grads[blk] + i * n;
            float *p = param + i * p_stride + col;
            float *m = exp_avg + i * p_stride + col;
            float *v = exp_avg_sq + i * p_stride + col;
#pragma omp simd
            for (long j = 0; j < n; j++) {
                const float gj = g[j] + wd * p[j];
                const float mj = m[j] * b1 + gj * c1;
                const float vj = v[j] * b2 + c2 * gj * gj;
                m[j] = mj;
                v[j] = vj;
                p[j] = p[j] - step_size * mj / (sqrtf(vj) / bc2_sqrt + e);
            }
            col += n;
        }
    }
}
