/// Byte-level text helpers for hot paths: no Foundation, no Unicode tables.

extension Sequence where Element == UInt8 {
    /// The bytes as lower-case hexadecimal, two digits each (digests, ids).
    public var hexString: String {
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

extension UInt8 {
    /// `A`–`Z` as `a`–`z`; every other byte (UTF-8 continuation bytes included) unchanged.
    @inline(__always) public var asciiLowercased: UInt8 { self &- 0x41 < 26 ? self | 0x20 : self }
}

extension Collection where Element == UInt8 {
    /// Whether these bytes begin with `prefix`, ignoring ASCII case; `prefix` must be lower-case.
    @inline(__always) public func hasASCIIPrefix(lowercased prefix: some Collection<UInt8>) -> Bool {
        guard count >= prefix.count else { return false }
        return zip(self, prefix).allSatisfy { $0.asciiLowercased == $1 }
    }
}

extension String {
    /// Whether the text holds any of `words` (each lower-case ASCII bytes), ignoring ASCII case: one pass over the
    /// UTF-8 bytes, no Foundation bridge per word.
    public func containsASCII(anyOf words: [[UInt8]]) -> Bool {
        var text = self
        return text.withUTF8 { bytes in
            for index in bytes.indices {
                let first = bytes[index].asciiLowercased
                for word in words where word.first == first && bytes[index...].hasASCIIPrefix(lowercased: word) { return true }
            }
            return false
        }
    }
}
