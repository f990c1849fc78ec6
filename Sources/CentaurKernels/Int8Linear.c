// Int8 matrix products for the MiniLM encoder on CPUs with AVX-512 VNNI (vpdpbusd: 64 multiply-adds of an unsigned
// and a signed byte per instruction, four times float32 FMA's). Each function that uses AVX-512 is compiled for it
// alone (a target attribute), so the library runs anywhere and callers ask `ck_int8_supported` first.
#include "CentaurKernels.h"
#include <cpuid.h>
#include <immintrin.h>
#include <math.h>
#include <string.h>

int ck_int8_supported(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0;   // OSXSAVE
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xE6) != 0xE6) return 0;                                       // SSE, AVX and the three AVX-512 states saved
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vnni = (c >> 11) & 1;
    return f && dq && bw && vnni;
}

void ck_quantize_weight(const float *weight, int outputs, int inputs, int8_t *packed, float *scale, int32_t *sums) {
    int k4 = inputs / 4;
    for (int o = 0; o < outputs; o++) {
        const float *row = weight + (size_t)o * inputs;
        float largest = 0;
        for (int i = 0; i < inputs; i++) largest = fmaxf(largest, fabsf(row[i]));
        float s = largest > 0 ? largest / 127.0f : 1.0f;
        scale[o] = s;
        int32_t sum = 0;
        int panel = o / 64, column = o % 64;
        for (int i = 0; i < inputs; i++) {
            float q = nearbyintf(row[i] / s);
            q = q > 127 ? 127 : (q < -127 ? -127 : q);
            sum += (int32_t)q;
            packed[(((size_t)panel * k4 + i / 4) * 64 + column) * 4 + i % 4] = (int8_t)q;
        }
        sums[o] = sum;
    }
}

#define CK_AVX512 __attribute__((target("avx512f,avx512bw,avx512vnni,avx512dq")))

/// Each row to unsigned bytes: round(x / s) + 128 with s = max |x| / 127.
CK_AVX512 static void quantize_rows(const float *input, int rows, int inputs, uint8_t *out, float *row_scale) {
    for (int r = 0; r < rows; r++) {
        const float *x = input + (size_t)r * inputs;
        __m512 largest = _mm512_setzero_ps();
        int i = 0;
        for (; i + 16 <= inputs; i += 16) largest = _mm512_max_ps(largest, _mm512_abs_ps(_mm512_loadu_ps(x + i)));
        float m = _mm512_reduce_max_ps(largest);
        for (; i < inputs; i++) m = fmaxf(m, fabsf(x[i]));
        float s = m > 0 ? m / 127.0f : 1.0f;
        row_scale[r] = s;
        __m512 inverse = _mm512_set1_ps(1.0f / s);
        __m512i offset = _mm512_set1_epi32(128);
        uint8_t *q = out + (size_t)r * inputs;
        i = 0;
        for (; i + 16 <= inputs; i += 16) {
            __m512i v = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + i), inverse)), offset);
            _mm_storeu_si128((__m128i *)(q + i), _mm512_cvtusepi32_epi8(v));
        }
        for (; i < inputs; i++) {
            int v = (int)nearbyintf(x[i] / s) + 128;
            q[i] = (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
        }
    }
}

/// One row's 64 sums of a panel to float32: (Σ − 128 · Σw) × row scale × output scale + bias.
CK_AVX512 static inline __attribute__((always_inline)) void store_row(__m512i s0, __m512i s1, __m512i s2, __m512i s3, float row_scale,
                                                                      const float *scale, const int32_t *sums, const float *bias, float *out) {
    __m512i sum[4] = {s0, s1, s2, s3};
    __m512 rs = _mm512_set1_ps(row_scale);
    for (int j = 0; j < 4; j++) {
        __m512i correction = _mm512_slli_epi32(_mm512_loadu_si512(sums + j * 16), 7);   // 128 × Σ w
        __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(sum[j], correction));
        _mm512_storeu_ps(out + j * 16, _mm512_fmadd_ps(v, _mm512_mul_ps(_mm512_loadu_ps(scale + j * 16), rs), _mm512_loadu_ps(bias + j * 16)));
    }
}

/// `rows` (at most 6, a constant where it is inlined) rows against one panel of 64 outputs: 4 × rows accumulators of
/// 16 lanes, named one by one so they stay in registers (an array of them was zeroed through memory), 4 inputs per step.
CK_AVX512 static inline __attribute__((always_inline)) void panel_kernel(
    const uint8_t *a, int inputs, const int rows, const int8_t *panel, const float *row_scale, const float *scale,
    const int32_t *sums, const float *bias, float *out, int outputs) {
    const __m512i z = _mm512_setzero_si512();
    __m512i c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z, c20 = z, c21 = z, c22 = z, c23 = z;
    __m512i c30 = z, c31 = z, c32 = z, c33 = z, c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
    int k4 = inputs / 4;
    for (int k = 0; k < k4; k++) {
        const int8_t *b = panel + (size_t)k * 256;
        __m512i b0 = _mm512_loadu_si512(b), b1 = _mm512_loadu_si512(b + 64), b2 = _mm512_loadu_si512(b + 128),
                b3 = _mm512_loadu_si512(b + 192);
#define CK_STEP(r)                                                                  \
        if (rows > r) {                                                             \
            int32_t word;                                                           \
            memcpy(&word, a + (size_t)r * inputs + k * 4, 4);                       \
            __m512i av = _mm512_set1_epi32(word);                                   \
            c##r##0 = _mm512_dpbusd_epi32(c##r##0, av, b0);                         \
            c##r##1 = _mm512_dpbusd_epi32(c##r##1, av, b1);                         \
            c##r##2 = _mm512_dpbusd_epi32(c##r##2, av, b2);                         \
            c##r##3 = _mm512_dpbusd_epi32(c##r##3, av, b3);                         \
        }
        CK_STEP(0) CK_STEP(1) CK_STEP(2) CK_STEP(3) CK_STEP(4) CK_STEP(5)
#undef CK_STEP
    }
#define CK_STORE(r) \
    if (rows > r) store_row(c##r##0, c##r##1, c##r##2, c##r##3, row_scale[r], scale, sums, bias, out + (size_t)r * outputs);
    CK_STORE(0) CK_STORE(1) CK_STORE(2) CK_STORE(3) CK_STORE(4) CK_STORE(5)
#undef CK_STORE
}

/// `rows` (1 to 6) rows against one panel, each count its own copy of the kernel so the accumulators stay in registers.
CK_AVX512 static void block(const uint8_t *a, int inputs, int rows, const int8_t *panel, const float *rs, const float *scale,
                            const int32_t *sums, const float *bias, float *out, int outputs) {
    switch (rows) {
    case 6: panel_kernel(a, inputs, 6, panel, rs, scale, sums, bias, out, outputs); break;
    case 5: panel_kernel(a, inputs, 5, panel, rs, scale, sums, bias, out, outputs); break;
    case 4: panel_kernel(a, inputs, 4, panel, rs, scale, sums, bias, out, outputs); break;
    case 3: panel_kernel(a, inputs, 3, panel, rs, scale, sums, bias, out, outputs); break;
    case 2: panel_kernel(a, inputs, 2, panel, rs, scale, sums, bias, out, outputs); break;
    default: panel_kernel(a, inputs, 1, panel, rs, scale, sums, bias, out, outputs); break;
    }
}

CK_AVX512 static void linear_avx512(const float *input, int rows, int inputs, const int8_t *packed, const float *scale,
                                    const int32_t *sums, const float *bias, int outputs, float *output, uint8_t *scratch,
                                    float *row_scale) {
    quantize_rows(input, rows, inputs, scratch, row_scale);
    size_t panel_bytes = (size_t)64 * inputs;
    for (int p = 0; p < outputs / 64; p++) {
        const int8_t *panel = packed + p * panel_bytes;
        for (int r = 0; r < rows; r += 6)
            block(scratch + (size_t)r * inputs, inputs, rows - r < 6 ? rows - r : 6, panel, row_scale + r, scale + p * 64, sums + p * 64,
                  bias + p * 64, output + (size_t)r * outputs + p * 64, outputs);
    }
}

void ck_linear_int8(const float *input, int rows, int inputs, const int8_t *packed, const float *scale, const int32_t *sums,
                    const float *bias, int outputs, float *output, uint8_t *scratch, float *row_scale) {
    linear_avx512(input, rows, inputs, packed, scale, sums, bias, outputs, output, scratch, row_scale);
}
