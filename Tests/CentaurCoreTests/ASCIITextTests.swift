import CentaurCore
import Foundation
import Testing

@Suite("Byte-level text helpers")
struct ASCIITextTests {
    @Test("hex is two lower-case digits per byte, as %02x writes them")
    func hex() {
        #expect([UInt8]().hexString == "")
        #expect([0x00, 0x0f, 0xa0, 0xff].hexString == "000fa0ff")
        let bytes = (0..<256).map(UInt8.init)
        #expect(bytes.hexString == bytes.map { String(format: "%02x", $0) }.joined())
    }

    @Test("ASCII case folding touches A-Z only; prefixes match in any case and no further")
    func caseFolding() {
        for byte in UInt8(0)...255 {
            let expected = (65...90).contains(byte) ? byte + 32 : byte
            #expect(byte.asciiLowercased == expected, "\(byte)")
        }
        #expect(Array("BeArEr x".utf8).hasASCIIPrefix(lowercased: "bearer ".utf8))
        #expect(!Array("Bearer".utf8).hasASCIIPrefix(lowercased: "bearer ".utf8))
        #expect(!Array("Basic x".utf8).hasASCIIPrefix(lowercased: "bearer ".utf8))
        #expect(Array("anything".utf8).hasASCIIPrefix(lowercased: [UInt8]()))
    }
}
