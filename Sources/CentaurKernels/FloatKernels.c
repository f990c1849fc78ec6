// The MiniLM encoder's attention and GELU on 16 lanes (AVX-512), with the same formulas as its portable versions
// (OpenBLAS and Swift): eˣ as 2ⁿ · 2ᶠ with 2ᶠ by a degree-6 polynomial (relative error under 2e-7), erf by Abramowitz and Stegun
// 7.1.26 (absolute error under 2e-7). Compiled for AVX-512 function by function; callers ask `ck_avx512_supported`.
#include "CentaurKernels.h"
#include <cpuid.h>
#include <immintrin.h>

int ck_avx512_supported(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0;   // OSXSAVE
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xE6) != 0xE6) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return ((b >> 16) & 1) && ((b >> 17) & 1);                              // AVX-512 F and DQ
}

#define CK_AVX512F __attribute__((target("avx512f,avx512dq")))

CK_AVX512F static inline __attribute__((always_inline)) __m512 exp16(__m512 x) {
    __m512 t = _mm512_mul_ps(_mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.3f)), _mm512_set1_ps(88.3f)), _mm512_set1_ps(1.44269504f));
    __m512 whole = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 f = _mm512_sub_ps(t, whole);
    __m512 p = _mm512_set1_ps(0.00015404f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.00133336f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.00961813f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.05550411f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.24022651f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.69314718f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, whole);
}

CK_AVX512F static inline __attribute__((always_inline)) __m512 gelu16(__m512 x) {
    __m512 z = _mm512_mul_ps(x, _mm512_set1_ps(0.70710678f));
    __m512 a = _mm512_abs_ps(z);
    __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(a, _mm512_set1_ps(0.3275911f), _mm512_set1_ps(1.0f)));
    __m512 p = _mm512_set1_ps(1.061405429f);
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.453152027f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.421413741f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.284496736f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.254829592f));
    __m512 e = exp16(_mm512_mul_ps(_mm512_sub_ps(_mm512_setzero_ps(), a), a));
    __m512 y = _mm512_fnmadd_ps(_mm512_mul_ps(t, p), e, _mm512_set1_ps(1.0f));         // erf(|z|)
    __mmask16 negative = _mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_LT_OQ);
    y = _mm512_mask_sub_ps(y, negative, _mm512_setzero_ps(), y);                          // erf is odd
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), _mm512_add_ps(_mm512_set1_ps(1.0f), y));
}

CK_AVX512F void ck_gelu(float *values, size_t count) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(values + i, gelu16(_mm512_loadu_ps(values + i)));
    if (i < count) {
        __mmask16 tail = (__mmask16)((1u << (count - i)) - 1);
        _mm512_mask_storeu_ps(values + i, tail, gelu16(_mm512_maskz_loadu_ps(tail, values + i)));
    }
}

/// Scores of `R` query rows against `G` chunks of 16 keys from chunk `c`: per head dimension, a broadcast query value
/// times a row of the transposed keys, into R × G accumulators (each key vector loaded once for all R rows).
CK_AVX512F static inline __attribute__((always_inline)) void scores_block(const float *const *q, float scale, const float *keys, int padded,
                                                                          int c, float *const *rows, const int R, const int G) {
    __m512 acc[2][8];
    for (int r = 0; r < R; r++) for (int g = 0; g < G; g++) acc[r][g] = _mm512_setzero_ps();
    for (int d = 0; d < 32; d++) {
        const float *k = keys + (size_t)d * padded + c * 16;
        __m512 qd[2];
        for (int r = 0; r < R; r++) qd[r] = _mm512_set1_ps(q[r][d] * scale);
        for (int g = 0; g < G; g++) {
            __m512 kv = _mm512_loadu_ps(k + g * 16);
            for (int r = 0; r < R; r++) acc[r][g] = _mm512_fmadd_ps(qd[r], kv, acc[r][g]);
        }
    }
    for (int r = 0; r < R; r++) for (int g = 0; g < G; g++) _mm512_storeu_ps(rows[r] + (c + g) * 16, acc[r][g]);
}

/// Softmax numerators of a row's first `tokens` scores in place (the padding set to 0); returns 1 / their total.
CK_AVX512F static inline float exponentiate(float *row, int chunks, __mmask16 tail) {
    __m512 largest = _mm512_set1_ps(-__builtin_inff());
    for (int c = 0; c < chunks; c++) {
        __mmask16 m = c == chunks - 1 ? tail : (__mmask16)0xFFFF;
        largest = _mm512_mask_max_ps(largest, m, largest, _mm512_loadu_ps(row + c * 16));
    }
    __m512 top = _mm512_set1_ps(_mm512_reduce_max_ps(largest));
    __m512 total = _mm512_setzero_ps();
    for (int c = 0; c < chunks; c++) {
        __mmask16 m = c == chunks - 1 ? tail : (__mmask16)0xFFFF;
        __m512 e = _mm512_maskz_mov_ps(m, exp16(_mm512_sub_ps(_mm512_loadu_ps(row + c * 16), top)));
        _mm512_storeu_ps(row + c * 16, e);
        total = _mm512_add_ps(total, e);
    }
    return 1.0f / _mm512_reduce_add_ps(total);
}

/// `R` query rows of one head: scores, softmax, then Σ p_j · v_j over the head's packed value rows (each value row
/// loaded once for all R rows), divided by the softmax's total.
CK_AVX512F static inline __attribute__((always_inline)) void attend_rows(const float *const *q, float scale, const float *keys,
                                                                         const float *values, int tokens, int padded, __mmask16 tail,
                                                                         float *const *rows, float *const *out, const int R) {
    int chunks = padded / 16, c = 0;
    for (; c + 8 <= chunks; c += 8) scores_block(q, scale, keys, padded, c, rows, R, 8);
    if (c + 4 <= chunks) { scores_block(q, scale, keys, padded, c, rows, R, 4); c += 4; }
    if (c + 2 <= chunks) { scores_block(q, scale, keys, padded, c, rows, R, 2); c += 2; }
    if (c < chunks) scores_block(q, scale, keys, padded, c, rows, R, 1);
    float inverse[2];
    for (int r = 0; r < R; r++) inverse[r] = exponentiate(rows[r], chunks, tail);
    __m512 lo[2][2], hi[2][2];
    for (int r = 0; r < R; r++) for (int u = 0; u < 2; u++) { lo[r][u] = _mm512_setzero_ps(); hi[r][u] = _mm512_setzero_ps(); }
    for (int j = 0; j < padded; j += 2) {          // the padding's probabilities are 0 and its value rows 0
        for (int u = 0; u < 2; u++) {
            const float *v = values + (size_t)(j + u) * 32;
            __m512 vl = _mm512_loadu_ps(v), vh = _mm512_loadu_ps(v + 16);
            for (int r = 0; r < R; r++) {
                __m512 p = _mm512_set1_ps(rows[r][j + u]);
                lo[r][u] = _mm512_fmadd_ps(p, vl, lo[r][u]);
                hi[r][u] = _mm512_fmadd_ps(p, vh, hi[r][u]);
            }
        }
    }
    for (int r = 0; r < R; r++) {
        __m512 scale_r = _mm512_set1_ps(inverse[r]);
        _mm512_storeu_ps(out[r], _mm512_mul_ps(_mm512_add_ps(lo[r][0], lo[r][1]), scale_r));
        _mm512_storeu_ps(out[r] + 16, _mm512_mul_ps(_mm512_add_ps(hi[r][0], hi[r][1]), scale_r));
    }
}

/// One head at a time: its keys transposed (32 rows of `padded`) and its values packed (`padded` rows of 32) into
/// `scratch`, so every load in the loops is contiguous (the rows of `qkv` are 4.5 KB apart, which would map a head's
/// values onto a few cache sets); then the query rows two at a time (``attend_rows``).
CK_AVX512F void ck_attention(const float *qkv, int tokens, int heads, float scale, float *context, float *scratch) {
    const int size = 32, width = heads * size, stride = 3 * width;
    const int padded = (tokens + 15) & ~15;
    float *keys = scratch, *values = keys + (size_t)size * padded, *row0 = values + (size_t)size * padded, *row1 = row0 + padded;
    __mmask16 tail = (tokens & 15) ? (__mmask16)((1u << (tokens & 15)) - 1) : (__mmask16)0xFFFF;
    for (int head = 0; head < heads; head++) {
        const float *q0 = qkv + head * size, *k0 = q0 + width, *v0 = q0 + 2 * width;
        for (int d = 0; d < size; d++) {
            float *line = keys + (size_t)d * padded;
            for (int j = 0; j < tokens; j++) line[j] = k0[(size_t)j * stride + d];
            for (int j = tokens; j < padded; j++) line[j] = 0.0f;
        }
        for (int j = 0; j < padded; j++) {
            float *line = values + (size_t)j * size;
            if (j < tokens) {
                _mm512_storeu_ps(line, _mm512_loadu_ps(v0 + (size_t)j * stride));
                _mm512_storeu_ps(line + 16, _mm512_loadu_ps(v0 + (size_t)j * stride + 16));
            } else {
                _mm512_storeu_ps(line, _mm512_setzero_ps());
                _mm512_storeu_ps(line + 16, _mm512_setzero_ps());
            }
        }
        int i = 0;
        for (; i + 2 <= tokens; i += 2) {
            const float *q[2] = {q0 + (size_t)i * stride, q0 + (size_t)(i + 1) * stride};
            float *rows[2] = {row0, row1};
            float *out[2] = {context + (size_t)i * width + head * size, context + (size_t)(i + 1) * width + head * size};
            attend_rows(q, scale, keys, values, tokens, padded, tail, rows, out, 2);
        }
        if (i < tokens) {
            const float *q[1] = {q0 + (size_t)i * stride};
            float *rows[1] = {row0};
            float *out[1] = {context + (size_t)i * width + head * size};
            attend_rows(q, scale, keys, values, tokens, padded, tail, rows, out, 1);
        }
    }
}
