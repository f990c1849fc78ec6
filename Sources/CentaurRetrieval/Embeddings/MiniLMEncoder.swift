import CentaurCore
import CentaurKernels
import COpenBLAS
import Foundation
import Synchronization

/// Counts finished items from several threads.
final class DoneCounter: Sendable {
    private let value = Mutex(0)
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }
}

/// A buffer written by several threads at disjoint indexes.
struct SendableBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ buffer: UnsafeMutableBufferPointer<T>) { self.buffer = buffer }
}

/// all-MiniLM-L6-v2 run natively: WordPiece ids → BERT (6 layers, 384 wide, 12 heads, GELU) → the mean of the token
/// vectors → unit length. The linear layers multiply through OpenBLAS (float32) or CentaurKernels (int8); attention
/// and GELU run in CentaurKernels on AVX-512, in OpenBLAS and Swift elsewhere. Each text is encoded on its own (no
/// padding), so a text's vector does not depend on what it is batched with.
public final class MiniLMEncoder: EmbeddingModel, @unchecked Sendable {
    /// How the encoder multiplies its linear layers' matrices.
    public enum Precision: String, Sendable, CaseIterable {
        /// float32 through OpenBLAS: the reference's numbers.
        case float32
        /// The linear layers in 8-bit integers (weights per output, activations per token; AVX-512 VNNI), attention in
        /// float32: vectors 0.996–0.998 cosine of float32's, about three times as fast on one thread.
        case int8
    }

    /// The model's name for each precision: an index records it, so its queries are encoded the same way.
    public static func name(for precision: Precision) -> String {
        precision == .float32 ? "all-minilm-l6-v2" : "all-minilm-l6-v2-int8"
    }

    /// The precision a model name stands for (nil: not a native MiniLM name).
    public static func precision(named name: String) -> Precision? {
        Precision.allCases.first { Self.name(for: $0) == name }
    }

    /// The precision an index's vectors were made with (its manifest names the model; none: float32), so its queries
    /// and new rows are encoded the same way; a model this build does not run is an error naming the index.
    public static func precision(of manifest: CollectionManifest) throws -> Precision {
        let model = manifest.embedding ?? name(for: .float32)
        guard let precision = precision(named: model) else {
            throw RetrievalError.unavailable("index \(manifest.name) was embedded with \(model), which this build does not run")
        }
        return precision
    }

    /// Whether this CPU runs ``Precision/int8`` (AVX-512 with VNNI).
    public static var int8Supported: Bool { ck_int8_supported() != 0 }

    public let name: String
    public let dimensions = 384
    public let precision: Precision
    public let tokenizer: WordPieceTokenizer

    static let hidden = 384, heads = 12, headSize = 32, intermediate = 1536, layers = 6, positions = 512

    struct Layer {
        var qkv: [Float]          // 1152 × 384: query, key and value weights stacked
        var qkvBias: [Float]      // 1152
        var output: [Float], outputBias: [Float]
        var norm1: [Float], norm1Bias: [Float]
        var up: [Float], upBias: [Float]        // 1536 × 384
        var down: [Float], downBias: [Float]    // 384 × 1536
        var norm2: [Float], norm2Bias: [Float]
        /// The four linear layers in int8, for ``Precision/int8``.
        var quantized: (qkv: QuantizedWeight, output: QuantizedWeight, up: QuantizedWeight, down: QuantizedWeight)?
    }

    /// A weight quantized and packed by `ck_quantize_weight`: int8 per output row with its scale and sum.
    struct QuantizedWeight {
        let packed: [Int8], scale: [Float], sums: [Int32]

        init(_ weight: [Float], outputs: Int, inputs: Int) {
            var packed = [Int8](repeating: 0, count: outputs * inputs)
            var scale = [Float](repeating: 0, count: outputs), sums = [Int32](repeating: 0, count: outputs)
            ck_quantize_weight(weight, Int32(outputs), Int32(inputs), &packed, &scale, &sums)
            self.packed = packed; self.scale = scale; self.sums = sums
        }
    }

    let words: [Float], positionTable: [Float], typeTable: [Float], embeddingNorm: [Float], embeddingNormBias: [Float]
    let blocks: [Layer]

    /// Where `scripts/setup-embeddings` puts the model.
    public static func defaultDirectory(home: URL) -> URL { home.appendingPathComponent("models/all-minilm-l6-v2") }

    /// Loads `model.safetensors` and `vocab.txt` from `directory`; ``Precision/int8`` on a CPU without AVX-512 VNNI is
    /// an error (it is never swapped for float32 silently: an index's vectors and its queries must match).
    public init(directory: URL, maximumLength: Int = 256, precision: Precision = .float32) throws {
        if precision == .int8, !Self.int8Supported {
            throw RetrievalError.unavailable("int8 embeddings need a CPU with AVX-512 VNNI; this one has none: use float32")
        }
        self.precision = precision
        name = Self.name(for: precision)
        tokenizer = try WordPieceTokenizer(vocabularyFile: directory.appendingPathComponent("vocab.txt"), maximumLength: min(maximumLength, Self.positions))
        let file = try SafeTensors(url: directory.appendingPathComponent("model.safetensors"))
        let h = Self.hidden
        words = try file.floats("embeddings.word_embeddings.weight", shape: [30_522, h])
        positionTable = try file.floats("embeddings.position_embeddings.weight", shape: [Self.positions, h])
        typeTable = try file.floats("embeddings.token_type_embeddings.weight", shape: [2, h])
        embeddingNorm = try file.floats("embeddings.LayerNorm.weight", shape: [h])
        embeddingNormBias = try file.floats("embeddings.LayerNorm.bias", shape: [h])
        blocks = try (0..<Self.layers).map { n in
            let p = "encoder.layer.\(n)."
            func w(_ name: String, _ shape: [Int]) throws -> [Float] { try file.floats(p + name, shape: shape) }
            return Layer(
                qkv: try w("attention.self.query.weight", [h, h]) + w("attention.self.key.weight", [h, h]) + w("attention.self.value.weight", [h, h]),
                qkvBias: try w("attention.self.query.bias", [h]) + w("attention.self.key.bias", [h]) + w("attention.self.value.bias", [h]),
                output: try w("attention.output.dense.weight", [h, h]), outputBias: try w("attention.output.dense.bias", [h]),
                norm1: try w("attention.output.LayerNorm.weight", [h]), norm1Bias: try w("attention.output.LayerNorm.bias", [h]),
                up: try w("intermediate.dense.weight", [Self.intermediate, h]), upBias: try w("intermediate.dense.bias", [Self.intermediate]),
                down: try w("output.dense.weight", [h, Self.intermediate]), downBias: try w("output.dense.bias", [h]),
                norm2: try w("output.LayerNorm.weight", [h]), norm2Bias: try w("output.LayerNorm.bias", [h]))
        }.map { layer in
            guard precision == .int8 else { return layer }
            var layer = layer
            layer.quantized = (QuantizedWeight(layer.qkv, outputs: 3 * h, inputs: h), QuantizedWeight(layer.output, outputs: h, inputs: h),
                               QuantizedWeight(layer.up, outputs: Self.intermediate, inputs: h),
                               QuantizedWeight(layer.down, outputs: h, inputs: Self.intermediate))
            return layer
        }
        guard tokenizer.vocabulary.count == 30_522 else {
            throw RetrievalError.badInput("vocab.txt has \(tokenizer.vocabulary.count) tokens; all-MiniLM-L6-v2 has 30,522")
        }
    }

    /// How many threads OpenBLAS may use for one product (process-wide).
    public static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        let workspace = Workspace(capacity: tokenizer.maximumLength)
        return texts.map { encode(ids: tokenizer.ids($0), in: workspace) }
    }

    /// Many texts on `threads` threads (each product single-threaded: one text per thread is faster than one product on
    /// many), calling `progress` with the number done so far from time to time. Same vectors as one at a time.
    public func encodeAll(_ texts: [String], threads: Int, progress: (@Sendable (Int) -> Void)? = nil) -> [[Float]] {
        Self.setThreads(1)
        let results = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: texts.count)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        let done = DoneCounter()
        let workers = max(1, min(threads, texts.count))
        let shared = SendableBuffer(results)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let workspace = Workspace(capacity: tokenizer.maximumLength)
            var index = worker
            while index < texts.count {
                shared.buffer[index] = encode(ids: tokenizer.ids(texts[index]), in: workspace)
                let count = done.increment()
                if count % 100 == 0 || count == texts.count { progress?(count) }
                index += workers
            }
        }
        return Array(results)
    }

    /// One text's unit vector.
    public func encode(_ text: String) -> [Float] {
        encode(ids: tokenizer.ids(text))
    }

    /// The buffers one encoding works in, for sequences of up to `capacity` tokens: kept by a worker across texts, so
    /// each text does not map (and fault in) fresh pages.
    final class Workspace {
        let capacity: Int
        let x, qkv, scores, context, attended, upper, rowScales, attention: UnsafeMutablePointer<Float>
        let bytes: UnsafeMutablePointer<UInt8>

        init(capacity: Int) {
            let h = MiniLMEncoder.hidden, wide = MiniLMEncoder.intermediate
            self.capacity = capacity
            x = .allocate(capacity: capacity * h); qkv = .allocate(capacity: capacity * 3 * h); scores = .allocate(capacity: capacity * capacity)
            context = .allocate(capacity: capacity * h); attended = .allocate(capacity: capacity * h); upper = .allocate(capacity: capacity * wide)
            rowScales = .allocate(capacity: capacity); bytes = .allocate(capacity: capacity * wide)
            attention = .allocate(capacity: (2 * MiniLMEncoder.headSize + 2) * (capacity + 16))
        }

        deinit {
            for buffer in [x, qkv, scores, context, attended, upper, rowScales, attention] { buffer.deallocate() }
            bytes.deallocate()
        }
    }

    /// Whether the element-wise steps run on AVX-512 (`CentaurKernels`) rather than in portable Swift.
    static let vectorKernels = ck_avx512_supported() != 0

    /// The vector of a sequence of token ids (`[CLS]` … `[SEP]`).
    public func encode(ids: [Int32]) -> [Float] {
        encode(ids: ids, in: Workspace(capacity: ids.count))
    }

    func encode(ids: [Int32], in workspace: Workspace) -> [Float] {
        let n = ids.count, h = Self.hidden, wide = Self.intermediate
        precondition(n <= workspace.capacity, "a workspace for \(workspace.capacity) tokens given \(n)")
        let (x, qkv, scores, context, attended, upper) = (workspace.x, workspace.qkv, workspace.scores, workspace.context, workspace.attended, workspace.upper)
        let (bytes, rowScales) = (workspace.bytes, workspace.rowScales)
        func linear(_ input: UnsafePointer<Float>, inputs: Int, _ weight: [Float], _ bias: [Float], _ quantized: QuantizedWeight?, outputs: Int,
                    into output: UnsafeMutablePointer<Float>) {
            if let quantized {
                Self.linear(input, rows: n, inputs: inputs, weight: quantized, bias: bias, outputs: outputs, into: output, bytes: bytes, rowScales: rowScales)
            } else {
                Self.linear(input, rows: n, inputs: inputs, weight: weight, bias: bias, outputs: outputs, into: output)
            }
        }
        words.withUnsafeBufferPointer { words in
            positionTable.withUnsafeBufferPointer { positions in
                typeTable.withUnsafeBufferPointer { types in
                    for (row, id) in ids.enumerated() {
                        let word = words.baseAddress! + Int(id) * h, position = positions.baseAddress! + row * h, out = x + row * h
                        for c in 0..<h { out[c] = word[c] + position[c] + types[c] }
                    }
                }
            }
        }
        Self.layerNorm(x, rows: n, weight: embeddingNorm, bias: embeddingNormBias)
        let scale = 1 / Float(Self.headSize).squareRoot()
        for layer in blocks {
            linear(x, inputs: h, layer.qkv, layer.qkvBias, layer.quantized?.qkv, outputs: 3 * h, into: qkv)
            if Self.vectorKernels {
                ck_attention(qkv, Int32(n), Int32(Self.heads), scale, context, workspace.attention)
            } else {
                Self.attention(qkv, rows: n, scale: scale, into: context, scores: scores)
            }
            linear(context, inputs: h, layer.output, layer.outputBias, layer.quantized?.output, outputs: h, into: attended)
            for i in 0..<(n * h) { x[i] += attended[i] }
            Self.layerNorm(x, rows: n, weight: layer.norm1, bias: layer.norm1Bias)
            linear(x, inputs: h, layer.up, layer.upBias, layer.quantized?.up, outputs: wide, into: upper)
            if Self.vectorKernels { ck_gelu(upper, n * wide) } else { Self.gelu(upper, count: n * wide) }
            linear(upper, inputs: wide, layer.down, layer.downBias, layer.quantized?.down, outputs: h, into: attended)
            for i in 0..<(n * h) { x[i] += attended[i] }
            Self.layerNorm(x, rows: n, weight: layer.norm2, bias: layer.norm2Bias)
        }
        var pooled = [Float](repeating: 0, count: h)
        for row in 0..<n { for c in 0..<h { pooled[c] += x[row * h + c] } }
        var norm: Float = 0
        for c in 0..<h {
            pooled[c] /= Float(n)
            norm += pooled[c] * pooled[c]
        }
        norm = max(norm.squareRoot(), 1e-12)
        return pooled.map { $0 / norm }
    }

    /// `output = input · weightᵀ + bias`, with `weight` stored as PyTorch does (outputs × inputs).
    static func linear(_ input: UnsafePointer<Float>, rows: Int, inputs: Int, weight: [Float], bias: [Float], outputs: Int,
                       into output: UnsafeMutablePointer<Float>) {
        bias.withUnsafeBufferPointer { bias in
            for row in 0..<rows { (output + row * outputs).update(from: bias.baseAddress!, count: outputs) }
        }
        weight.withUnsafeBufferPointer { weight in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outputs), Int32(inputs), 1,
                        input, Int32(inputs), weight.baseAddress!, Int32(inputs), 1, output, Int32(outputs))
        }
    }

    /// Every head's scaled dot-product attention in portable code (OpenBLAS and Swift): `qkv` holds each row's
    /// queries, keys and values side by side; `scores` holds rows × rows. `ck_attention` computes the same on AVX-512.
    static func attention(_ qkv: UnsafePointer<Float>, rows n: Int, scale: Float, into context: UnsafeMutablePointer<Float>,
                          scores: UnsafeMutablePointer<Float>) {
        let h = hidden
        for head in 0..<heads {
            let q = qkv + head * headSize
            let k = q + h, v = q + 2 * h
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(headSize), scale,
                        q, Int32(3 * h), k, Int32(3 * h), 0, scores, Int32(n))
            for row in 0..<n { softmax(scores + row * n, count: n) }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(headSize), Int32(n), 1,
                        scores, Int32(n), v, Int32(3 * h), 0, context + head * headSize, Int32(h))
        }
    }

    /// `output = input · weightᵀ + bias` in int8 (`ck_linear_int8`); `bytes` holds rows × inputs, `rowScales` rows.
    static func linear(_ input: UnsafePointer<Float>, rows: Int, inputs: Int, weight: QuantizedWeight, bias: [Float], outputs: Int,
                       into output: UnsafeMutablePointer<Float>, bytes: UnsafeMutablePointer<UInt8>, rowScales: UnsafeMutablePointer<Float>) {
        ck_linear_int8(input, Int32(rows), Int32(inputs), weight.packed, weight.scale, weight.sums, bias, Int32(outputs), output, bytes, rowScales)
    }

    /// Each row normalized to mean 0 and variance 1 (ε = 1e-12), then scaled and shifted.
    static func layerNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, weight: [Float], bias: [Float]) {
        let h = weight.count
        weight.withUnsafeBufferPointer { weight in
            bias.withUnsafeBufferPointer { bias in
                for row in 0..<rows {
                    let r = x + row * h
                    let mean = sum(r, count: h) / Float(h)
                    var lanes = SIMD8<Float>()
                    var c = 0
                    let raw = UnsafeRawPointer(r)
                    while c + 8 <= h {
                        let d = raw.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self) - mean
                        lanes += d * d
                        c += 8
                    }
                    var variance = lanes.sum()
                    while c < h { variance += (r[c] - mean) * (r[c] - mean); c += 1 }
                    variance /= Float(h)
                    let inverse = 1 / (variance + 1e-12).squareRoot()
                    for c in 0..<h { r[c] = (r[c] - mean) * inverse * weight[c] + bias[c] }
                }
            }
        }
    }

    /// A row's softmax in place. The two reductions (largest, sum) run 8 lanes at a time; the exponentials are one
    /// loop the compiler vectorizes.
    static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        let largest = maximum(row, count: count)
        for i in 0..<count { row[i] = fastExp(row[i] - largest) }
        let inverse = 1 / sum(row, count: count)
        for i in 0..<count { row[i] *= inverse }
    }

    @inline(__always)
    static func maximum(_ values: UnsafeMutablePointer<Float>, count: Int) -> Float {
        let raw = UnsafeRawPointer(values)
        var lanes = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            lanes.replace(with: v, where: v .> lanes)
            i += 8
        }
        var result = lanes.max()
        while i < count { result = max(result, values[i]); i += 1 }
        return result
    }

    @inline(__always)
    static func sum(_ values: UnsafeMutablePointer<Float>, count: Int) -> Float {
        let raw = UnsafeRawPointer(values)
        var lanes = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            lanes += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        var result = lanes.sum()
        while i < count { result += values[i]; i += 1 }
        return result
    }

    /// GELU, exactly as BERT defines it (with erf), through ``fastErf``.
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let value = x[i]
            x[i] = 0.5 * value * (1 + fastErf(value * 0.70710678))
        }
    }

    /// eˣ to float precision (relative error under 2e-7), in straight-line code the compiler vectorizes: 2ⁿ·2ᶠ with
    /// n the nearest integer to x·log₂e, 2ᶠ by its Taylor polynomial of degree 6 on [−½, ½], 2ⁿ built in the exponent bits.
    @inline(__always)
    static func fastExp(_ x: Float) -> Float {
        let t = min(max(x, -87.3), 88.3) * 1.442_695_04
        let shifted = t + 12_582_912  // 1.5 · 2²³: the float's low bits now hold round(t)
        let whole = shifted - 12_582_912
        let f = t - whole
        let p = 1 + f * (0.693_147_18 + f * (0.240_226_51 + f * (0.055_504_11 + f * (0.009_618_13 + f * (0.001_333_36 + f * 0.000_154_04)))))
        let exponent = (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23
        return p * Float(bitPattern: exponent)
    }

    /// erf(x) to float precision (absolute error under 2e-7): Abramowitz and Stegun 7.1.26 with ``fastExp``.
    @inline(__always)
    static func fastErf(_ x: Float) -> Float {
        let a = abs(x)
        let t = 1 / (1 + 0.327_591_1 * a)
        let y = 1 - t * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429)))) * fastExp(-a * a)
        return x < 0 ? -y : y
    }

    /// Cosine similarity of two vectors.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        var dot: Float = 0, na: Float = 0, nb: Float = 0
        for i in 0..<min(a.count, b.count) {
            dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]
        }
        return dot / max((na * nb).squareRoot(), 1e-12)
    }
}
