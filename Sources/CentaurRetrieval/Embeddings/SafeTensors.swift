import CentaurCore
import Foundation

/// A `.safetensors` file: an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and
/// byte range, then the bytes. Only F32 tensors are read.
struct SafeTensors {
    let data: Data
    let base: Int
    let entries: [String: (shape: [Int], start: Int, end: Int, dtype: String)]

    init(url: URL) throws {
        guard let data = try? Data(contentsOf: url, options: .alwaysMapped) else {
            throw RetrievalError.unavailable("cannot read \(url.path): install the model with scripts/setup-embeddings")
        }
        guard data.count >= 8 else { throw RetrievalError.badInput("\(url.path) is not a safetensors file") }
        let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard length > 0, 8 + length <= data.count,
              case .object(let header)? = try? JSONDecoder().decode(JSONValue.self, from: data.subdata(in: 8..<8 + length)) else {
            throw RetrievalError.badInput("\(url.path) has no readable safetensors header")
        }
        var entries: [String: (shape: [Int], start: Int, end: Int, dtype: String)] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard case .object(let tensor) = value, case .string(let dtype)? = tensor["dtype"], case .array(let shape)? = tensor["shape"],
                  case .array(let offsets)? = tensor["data_offsets"], offsets.count == 2,
                  case .number(let start) = offsets[0], case .number(let end) = offsets[1] else { continue }
            entries[name] = (shape.compactMap { if case .number(let n) = $0 { return Int(n) } else { return nil } }, Int(start), Int(end), dtype)
        }
        self.data = data
        self.base = 8 + length
        self.entries = entries
    }

    /// A tensor's values, checking its shape.
    func floats(_ name: String, shape expected: [Int]) throws -> [Float] {
        guard let entry = entries[name] else { throw RetrievalError.badInput("the model has no tensor \(name)") }
        guard entry.dtype == "F32", entry.shape == expected, entry.end - entry.start == expected.reduce(1, *) * 4,
              base + entry.end <= data.count else {
            throw RetrievalError.badInput("tensor \(name) is \(entry.dtype) \(entry.shape), expected F32 \(expected)")
        }
        var values = [Float](repeating: 0, count: expected.reduce(1, *))
        values.withUnsafeMutableBytes { target in
            data.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[(base + entry.start)..<(base + entry.end)]))
            }
        }
        return values  // little-endian floats, as every platform Centaur runs on
    }
}
