import CentaurCore
import Foundation

/// Reads the PDF417 barcode on the back of a driver licence with `ZXingReader` (zxing-cpp) and parses it
/// with our AAMVA parser. Every field's provenance names its AAMVA element and carries the barcode's box.
public struct BarcodeExtractor: Extractor {
    public let source = "barcode"
    /// Pages of a PDF are rendered at this resolution before decoding.
    public var dpi = 200

    public init() {}

    /// One decoded PDF417 symbol.
    public struct Symbol: Sendable, Hashable {
        public let bytes: [UInt8]
        public let box: BoundingBox?
        public let page: Int?
    }

    public func extract(_ document: Document, as type: DocumentType) async throws -> Extraction? {
        guard type.id == DocumentType.driversLicense.id else { return nil }
        let (found, problem) = Self.firstLicense(in: try await decode(document))
        if let (license, symbol) = found {
            return Self.extraction(of: license, document: document.name, box: symbol.box, page: symbol.page)
        }
        if let problem {
            return Extraction(documentType: type.id, document: document.name, source: source,
                              notes: ["a PDF417 barcode was found but is not an AAMVA licence: \(problem)"])
        }
        return nil
    }

    /// The first symbol that parses as an AAMVA licence, or why the first one does not.
    public static func firstLicense(in symbols: [Symbol]) -> (license: (AAMVALicense, Symbol)?, problem: String?) {
        var problem: String?
        for symbol in symbols {
            do { return ((try AAMVAParser.parse(symbol.bytes), symbol), nil) } catch { problem = problem ?? error.description }
        }
        return (nil, problem)
    }

    /// The licence fields of a parsed barcode as an extraction.
    public static func extraction(of license: AAMVALicense, document: String, box: BoundingBox? = nil, page: Int? = nil) -> Extraction {
        let type = DocumentType.driversLicense
        let encoded = (try? JSONValue(encoding: license).objectValue) ?? [:]
        var fields: [String: ExtractedField] = [:]
        for field in type.fields {
            guard let value = encoded[field.name], value != .null else { continue }
            let normalized = Normalizer.normalize(value, for: field)
            guard normalized != .null else { continue }
            let element = AAMVALicense.sourceElements[field.name]?.first { license.elements[$0] != nil }
            let raw = element.flatMap { license.elements[$0] } ?? (field.name == "issuer_iin" ? license.issuerIIN : nil)
            fields[field.name] = ExtractedField(value: normalized, provenance: Provenance(
                source: "barcode", document: document, page: page, raw: raw, element: element ?? (field.name == "issuer_iin" ? "header" : nil), box: box))
        }
        return Extraction(documentType: type.id, document: document, source: "barcode", fields: fields)
    }

    /// Every PDF417 symbol in an image, or in each page of a PDF.
    public func decode(_ document: Document) async throws -> [Symbol] {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var images: [(URL, Int?)] = []
        switch document.format {
        case .png, .jpeg:
            let url = scratch.file("input.\(document.format.fileExtension)")
            try document.data.write(to: url)
            images = [(url, nil)]
        case .pdf:
            let pdf = scratch.file("input.pdf")
            try document.data.write(to: pdf)
            let output = try await Subprocess.pdftoppm.run(["-r", String(dpi), "-png", "-l", String(PDFLimits.maximumPages), pdf.path, scratch.file("page").path])
            guard output.status == 0 else { throw SubprocessError(tool: "pdftoppm", message: "pdftoppm could not render \(document.name): \(output.stderrText)") }
            let pages = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0.hasPrefix("page") }.sorted()
            images = pages.enumerated().map { (scratch.file($0.element), $0.offset + 1) }
        }
        var symbols: [Symbol] = []
        for (image, page) in images {
            let output = try await Subprocess.zxingReader.run(["-format", "PDF417", image.path])
            symbols += Self.parseReaderOutput(String(decoding: output.stdout, as: UTF8.self), page: page)
        }
        return symbols
    }

    /// Parses `ZXingReader`'s report: a `Bytes:` line of hex pairs and a `Position:` line of four corners per symbol.
    static func parseReaderOutput(_ text: String, page: Int?) -> [Symbol] {
        var symbols: [Symbol] = []
        var bytes: [UInt8]?
        var box: BoundingBox?
        func flush() {
            if let bytes { symbols.append(Symbol(bytes: bytes, box: box, page: page)) }
            bytes = nil; box = nil
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("Bytes:") {
                flush()
                bytes = line.dropFirst(6).split(separator: " ").compactMap { UInt8($0, radix: 16) }
            } else if line.hasPrefix("Position:") {
                let points = line.dropFirst(9).split(separator: " ").compactMap { pair -> (Double, Double)? in
                    let xy = pair.split(separator: "x").compactMap { Double($0) }
                    return xy.count == 2 ? (xy[0], xy[1]) : nil
                }
                if let minX = points.map(\.0).min(), let maxX = points.map(\.0).max(),
                   let minY = points.map(\.1).min(), let maxY = points.map(\.1).max() {
                    box = BoundingBox(x: minX, y: minY, width: maxX - minX, height: maxY - minY, unit: "px")
                }
            }
        }
        flush()
        return symbols
    }

    /// Renders an AAMVA payload as a PDF417 PNG with `ZXingWriter`, byte for byte (each byte travels as one
    /// ISO-8859-1 character, so control characters and non-ASCII bytes survive).
    public static func render(payload: [UInt8], to url: URL, width: Int = 900, height: Int = 300) async throws {
        let latin1 = String(String.UnicodeScalarView(payload.map { Unicode.Scalar($0) }))
        let output = try await Subprocess.zxingWriter.run(["-size", "\(width)x\(height)", "-encoding", "ISO-8859-1", "PDF417", latin1, url.path])
        guard output.status == 0, FileManager.default.fileExists(atPath: url.path) else {
            throw SubprocessError(tool: "ZXingWriter", message: "ZXingWriter could not render the barcode: \(output.stderrText)")
        }
    }
}
