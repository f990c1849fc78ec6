#ifndef CENTAUR_KERNELS_H
#define CENTAUR_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Whether this CPU (and the operating system) runs the AVX-512 VNNI kernels: `ck_linear_int8` may be called only then.
int ck_int8_supported(void);

/// Quantizes a PyTorch-layout weight (`outputs` × `inputs`, row-major) to int8 with one scale per output, and packs it
/// for `ck_linear_int8`: `packed` holds outputs × inputs bytes, `scale` and `sums` one entry per output (`sums` is the
/// sum of an output's int8 weights). `outputs` must be a multiple of 64 and `inputs` of 4.
void ck_quantize_weight(const float *weight, int outputs, int inputs, int8_t *packed, float *scale, int32_t *sums);

/// `output = input · weightᵀ + bias` with the weight from `ck_quantize_weight` and each input row quantized to 8 bits
/// with its own scale on the way in; accumulates in 32-bit integers. `scratch` holds rows × inputs bytes.
void ck_linear_int8(const float *input, int rows, int inputs, const int8_t *packed, const float *scale, const int32_t *sums,
                    const float *bias, int outputs, float *output, uint8_t *scratch, float *row_scale);

/// Whether this CPU (and the operating system) runs the AVX-512 float kernels below (AVX-512 F and DQ).
int ck_avx512_supported(void);

/// GELU as BERT defines it, 0.5 · x · (1 + erf(x / √2)), in place. Call only where `ck_avx512_supported`.
void ck_gelu(float *values, size_t count);

/// Scaled dot-product attention for every head of one sequence of `tokens` rows: `qkv` holds each row's queries,
/// keys and values side by side (3 × heads × 32 values, as the model's fused projection writes them); `context`
/// receives tokens × (heads × 32). Head size 32. `scratch` holds 66 × (tokens + 16) floats. Call only where
/// `ck_avx512_supported`.
void ck_attention(const float *qkv, int tokens, int heads, float scale, float *context, float *scratch);

#endif
