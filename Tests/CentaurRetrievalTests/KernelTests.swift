import CentaurCore
import CentaurKernels
import Testing
@testable import CentaurRetrieval

/// The encoder's AVX-512 kernels (CentaurKernels) against its portable path (OpenBLAS and Swift) on random inputs:
/// every row count that exercises a kernel's tail, both layer shapes. Skipped (with a reason) on a CPU without them.
struct KernelTests {
    static func random(_ count: Int, spread: Float, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float.random(in: -spread...spread, using: &generator) }
    }

    @Test("int8 linear layers equal float32's within 1.5 % (relative RMS) for 1 to 13 rows and both layer shapes",
          .enabled(if: MiniLMEncoder.int8Supported, "this CPU has no AVX-512 VNNI"), arguments: [(1_536, 384), (384, 1_536), (1_152, 384)])
    func int8Linear(shape: (outputs: Int, inputs: Int)) {
        let weight = Self.random(shape.outputs * shape.inputs, spread: 0.1, seed: 1), bias = Self.random(shape.outputs, spread: 1, seed: 2)
        let quantized = MiniLMEncoder.QuantizedWeight(weight, outputs: shape.outputs, inputs: shape.inputs)
        #expect(quantized.packed.allSatisfy { $0 >= -127 }, "symmetric: -128 is never used")
        for rows in [1, 2, 5, 6, 7, 12, 13] {
            let input = Self.random(rows * shape.inputs, spread: 2, seed: UInt64(rows))
            var reference = [Float](repeating: 0, count: rows * shape.outputs), fast = reference
            var bytes = [UInt8](repeating: 0, count: rows * shape.inputs), scales = [Float](repeating: 0, count: rows)
            input.withUnsafeBufferPointer { input in
                reference.withUnsafeMutableBufferPointer { out in
                    MiniLMEncoder.linear(input.baseAddress!, rows: rows, inputs: shape.inputs, weight: weight, bias: bias, outputs: shape.outputs,
                                         into: out.baseAddress!)
                }
                fast.withUnsafeMutableBufferPointer { out in
                    MiniLMEncoder.linear(input.baseAddress!, rows: rows, inputs: shape.inputs, weight: quantized, bias: bias, outputs: shape.outputs,
                                         into: out.baseAddress!, bytes: &bytes, rowScales: &scales)
                }
            }
            let error = zip(reference, fast).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            let size = reference.reduce(Float(0)) { $0 + $1 * $1 }
            #expect((error / size).squareRoot() < 0.015, "\(rows) rows: relative RMS \((error / size).squareRoot())")
        }
    }

    @Test("AVX-512 attention equals the OpenBLAS path for 1 to 40 tokens (every tail of 16 and an odd last row)",
          .enabled(if: MiniLMEncoder.vectorKernels, "this CPU has no AVX-512"), arguments: [1, 2, 3, 15, 16, 17, 33, 40])
    func attention(tokens: Int) {
        let width = 3 * MiniLMEncoder.hidden
        let qkv = Self.random(tokens * width, spread: 3, seed: UInt64(tokens))
        var reference = [Float](repeating: .nan, count: tokens * MiniLMEncoder.hidden), fast = reference
        var scores = [Float](repeating: 0, count: tokens * tokens)
        var scratch = [Float](repeating: .nan, count: (2 * MiniLMEncoder.headSize + 2) * (tokens + 16))
        let scale = 1 / Float(MiniLMEncoder.headSize).squareRoot()
        MiniLMEncoder.attention(qkv, rows: tokens, scale: scale, into: &reference, scores: &scores)
        ck_attention(qkv, Int32(tokens), Int32(MiniLMEncoder.heads), scale, &fast, &scratch)
        let worst = zip(reference, fast).map { abs($0 - $1) }.max() ?? .nan
        #expect(worst < 1e-4, "largest difference \(worst)")
    }

    @Test("AVX-512 GELU equals the portable one (every tail of 16)", .enabled(if: MiniLMEncoder.vectorKernels, "this CPU has no AVX-512"))
    func gelu() {
        for count in [1, 15, 16, 17, 100] {
            let values = Self.random(count, spread: 6, seed: UInt64(count))
            var reference = values, fast = values
            MiniLMEncoder.gelu(&reference, count: count)
            ck_gelu(&fast, count)
            let worst = zip(reference, fast).map { abs($0 - $1) }.max() ?? .nan
            #expect(worst < 1e-6, "\(count) values: largest difference \(worst)")
        }
    }

    @Test("an index's recorded model picks the precision of its queries; a model this build does not run is refused by name")
    func precisionOfIndex() throws {
        var manifest = CollectionManifest(name: "papers")
        #expect(try MiniLMEncoder.precision(of: manifest) == .float32, "no model recorded: float32")
        manifest.embedding = "all-minilm-l6-v2-int8"
        #expect(try MiniLMEncoder.precision(of: manifest) == .int8)
        manifest.embedding = "text-embedding-3-small"
        let error = #expect(throws: RetrievalError.self) { try MiniLMEncoder.precision(of: manifest) }
        #expect("\(String(describing: error))".contains("papers") && "\(String(describing: error))".contains("text-embedding-3-small"))
    }
}
