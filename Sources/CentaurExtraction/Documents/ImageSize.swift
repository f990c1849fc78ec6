import Foundation

/// The pixel size of a PNG or JPEG from its header, without decoding the image: for outlining values on a page
/// and for refusing an image too large to read before any tool decodes it.
public enum ImageSize {
    public static func of(_ data: Data) -> (width: Int, height: Int)? {
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            func be(_ at: Int, _ count: Int) -> Int? {
                guard at >= 0, at + count <= bytes.count else { return nil }
                return bytes[at..<at + count].reduce(0) { $0 << 8 | Int($1) }
            }
            if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]), let w = be(16, 4), let h = be(20, 4), w > 0, h > 0 { return (w, h) }
            guard bytes.starts(with: [0xFF, 0xD8]) else { return nil }
            // Segment by segment (each says its length), so a large EXIF block before the frame header is skipped.
            var index = 2
            while index + 9 < bytes.count, bytes[index] == 0xFF {
                let marker = bytes[index + 1]
                guard let length = be(index + 2, 2), length >= 2 else { return nil }
                // Start-of-frame markers (baseline, progressive…), not DHT (C4), JPG (C8) or DAC (CC).
                if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker), let h = be(index + 5, 2), let w = be(index + 7, 2) {
                    return w > 0 && h > 0 ? (w, h) : nil
                }
                index += 2 + length
            }
            return nil
        }
    }
}
