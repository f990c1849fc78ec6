import Foundation

/// An uploaded file: PNG, JPEG or PDF, recognised by its bytes (never by its name).
public struct Document: Sendable, Hashable {
    public enum Format: String, Sendable, Hashable, Codable {
        case png, jpeg, pdf

        public var mediaType: String {
            switch self {
            case .png: "image/png"
            case .jpeg: "image/jpeg"
            case .pdf: "application/pdf"
            }
        }

        public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }
    }

    public let name: String
    public let data: Data
    public let format: Format

    /// The largest file accepted (a scanned multi-page PDF fits comfortably).
    public static let maximumSize = 40 * 1024 * 1024

    /// Recognises the format from the bytes; corrupt, empty, oversized or other files throw a clear error.
    public init(name: String, data: Data) throws(DocumentError) {
        guard !data.isEmpty else { throw DocumentError("\(name): the file is empty") }
        guard data.count <= Self.maximumSize else {
            throw DocumentError("\(name): \(data.count / 1_048_576) MiB is over the \(Self.maximumSize / 1_048_576) MiB limit")
        }
        guard let format = Self.detectFormat(data) else {
            let head = data.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw DocumentError("\(name): not a PNG, JPEG or PDF file (it starts with \(head))")
        }
        if format == .pdf, !Self.hasEndOfFile(data) {
            throw DocumentError("\(name): the PDF is truncated or corrupt (no %%EOF marker)")
        }
        if format == .png, data.count < 33 { throw DocumentError("\(name): the PNG is truncated") }
        if format == .jpeg, data.count < 4 || data.suffix(2) != Data([0xFF, 0xD9]) && !data.suffix(64).contains(0xD9) {
            throw DocumentError("\(name): the JPEG is truncated (no end-of-image marker)")
        }
        self.name = name
        self.data = data
        self.format = format
    }

    public init(contentsOf url: URL) throws(DocumentError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw DocumentError("\(url.path): cannot read the file (\(error.localizedDescription))") }
        try self.init(name: url.lastPathComponent, data: data)
    }

    static func detectFormat(_ data: Data) -> Format? {
        let bytes = [UInt8](data.prefix(1024))
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        // "%PDF-" may follow a little junk; readers accept it within the first kilobyte.
        let marker: [UInt8] = Array("%PDF-".utf8)
        if bytes.count >= marker.count {
            for i in 0...(bytes.count - marker.count) where bytes[i..<i + marker.count].elementsEqual(marker) { return .pdf }
        }
        return nil
    }

    private static func hasEndOfFile(_ data: Data) -> Bool {
        data.suffix(2048).range(of: Data("%%EOF".utf8)) != nil
    }

    /// Name, format and size, for progress lines and logs (never the content).
    public var summary: String { "\(name) (\(format.rawValue), \(data.count) bytes)" }
}

public struct DocumentError: Error, CustomStringConvertible, Sendable, Hashable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
