import CentaurCore
import Foundation

/// Reads a fixed-layout form whose values exist only as printed text (a flattened or printed-to-PDF I-9)
/// by position: the words `pdftotext -bbox` places inside each field's rectangle, taken from the blank
/// form's AcroForm (`Resources/layouts/`). Check boxes are read from pixels: the page is rendered in grey
/// and a box whose inner area is dark enough is checked.
public struct LayoutExtractor: Extractor {
    public let source = "layout_text"
    /// Fraction of dark pixels in a check box's inner area above which it counts as checked.
    public var checkedThreshold = 0.08

    public init() {}

    /// A form's field rectangles (top-left origin, points).
    public struct Layout: Sendable, Hashable {
        public struct Field: Sendable, Hashable {
            public let name: String
            public let page: Int
            public let checkbox: Bool
            public let box: BoundingBox
        }
        public let documentType: String
        public let edition: String
        public let fields: [Field]
    }

    public static let layouts: [String: Layout] = {
        var layouts: [String: Layout] = [:]
        for name in ["form-i9-2023-08"] {
            guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "layouts"),
                  let data = try? Data(contentsOf: url), let json = try? JSONValue(parsing: data),
                  let type = json["document_type"]?.stringValue, let list = json["fields"]?.arrayValue
            else { fatalError("the built-in layout \(name) is missing or invalid: the package resources are broken") }
            let fields = list.compactMap { item -> Layout.Field? in
                guard let name = item["name"]?.stringValue, let page = item["page"]?.intValue,
                      let x = item["x"]?.doubleValue, let y = item["y"]?.doubleValue,
                      let width = item["width"]?.doubleValue, let height = item["height"]?.doubleValue else { return nil }
                return Layout.Field(name: name, page: page, checkbox: item["checkbox"]?.boolValue ?? false,
                                    box: BoundingBox(x: x, y: y, width: width, height: height, unit: "pt"))
            }
            layouts[type] = Layout(documentType: type, edition: json["edition"]?.stringValue ?? "", fields: fields)
        }
        return layouts
    }()

    public func extract(_ document: Document, as type: DocumentType) async throws -> Extraction? {
        guard document.format == .pdf, let layout = Self.layouts[type.id], let mapping = FormFieldExtractor.mappings[type.id] else { return nil }
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let pdf = scratch.file("input.pdf")
        try document.data.write(to: pdf)
        let lastPage = layout.fields.map(\.page).max() ?? 1
        let output = try await ExternalTool.pdftotext.run(["-bbox", "-enc", "UTF-8", "-l", String(lastPage), pdf.path, "-"])
        guard output.status == 0 else { throw DocumentError("\(document.name): the PDF cannot be read (\(output.stderrText))") }
        let pages = Self.parseBoundingBoxes(String(decoding: output.stdout, as: UTF8.self))

        var formFields: [FormFieldExtractor.FormField] = []
        for field in layout.fields where !field.checkbox && mapping[field.name] != nil {
            guard field.page <= pages.count else { continue }
            let inside = pages[field.page - 1].filter { word in
                let cx = (word.box.x + word.box.width / 2), cy = (word.box.y + word.box.height / 2)
                return cx >= field.box.x - 1 && cx <= field.box.x + field.box.width + 1
                    && cy >= field.box.y - 1 && cy <= field.box.y + field.box.height + 1
            }.sorted { ($0.box.y, $0.box.x) < ($1.box.y, $1.box.x) }
            guard !inside.isEmpty else { continue }
            formFields.append(.init(name: field.name, value: inside.map(\.text).joined(separator: " "), page: field.page, rect: field.box, isCheckbox: false))
        }
        let checkboxes = layout.fields.filter(\.checkbox)
        for page in Set(checkboxes.map(\.page)).sorted() {
            let image = try await render(pdf: pdf, page: page, scratch: scratch)
            for field in checkboxes where field.page == page {
                let checked = image.darkFraction(in: field.box, inset: 0.2) > checkedThreshold
                formFields.append(.init(name: field.name, value: checked ? "/On" : "/Off", page: page, rect: field.box, isCheckbox: true))
            }
        }
        guard formFields.contains(where: { !$0.isCheckbox }) else { return nil }
        var extraction = FormFieldExtractor.extraction(of: formFields, type: type, mapping: mapping, document: document.name)
        extraction.source = source
        for (key, var field) in extraction.fields {
            field.provenance.source = source
            extraction.fields[key] = field
        }
        extraction.notes.append("\(document.name): read by position on the \(layout.edition) \(type.id) layout")
        return extraction
    }

    struct Word { let text: String; let box: BoundingBox }

    /// Words per page from `pdftotext -bbox` (XHTML: `<word xMin= yMin= xMax= yMax=>text</word>`).
    static func parseBoundingBoxes(_ html: String) -> [[Word]] {
        var pages: [[Word]] = []
        for pageChunk in html.components(separatedBy: "<page ").dropFirst() {
            var words: [Word] = []
            for chunk in pageChunk.components(separatedBy: "<word ").dropFirst() {
                guard let close = chunk.range(of: ">"), let end = chunk.range(of: "</word>") else { continue }
                let attributes = chunk[..<close.lowerBound]
                func number(_ name: String) -> Double? {
                    guard let r = attributes.range(of: "\(name)=\"") else { return nil }
                    return Double(attributes[r.upperBound...].prefix { $0 != "\"" })
                }
                guard let x0 = number("xMin"), let y0 = number("yMin"), let x1 = number("xMax"), let y1 = number("yMax") else { continue }
                let text = String(chunk[close.upperBound..<end.lowerBound])
                    .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                    .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
                    .replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
                words.append(Word(text: text, box: BoundingBox(x: x0, y: y0, width: x1 - x0, height: y1 - y0, unit: "pt")))
            }
            pages.append(words)
        }
        return pages
    }

    /// A grey page image at 144 dpi (2 pixels per point).
    struct GreyImage {
        let width: Int, height: Int, pixels: [UInt8]
        let scale = 2.0

        func darkFraction(in box: BoundingBox, inset: Double) -> Double {
            let x0 = max(0, Int((box.x + box.width * inset) * scale)), x1 = min(width, Int((box.x + box.width * (1 - inset)) * scale))
            let y0 = max(0, Int((box.y + box.height * inset) * scale)), y1 = min(height, Int((box.y + box.height * (1 - inset)) * scale))
            guard x1 > x0, y1 > y0 else { return 0 }
            var dark = 0
            for y in y0..<y1 { for x in x0..<x1 where pixels[y * width + x] < 128 { dark += 1 } }
            return Double(dark) / Double((x1 - x0) * (y1 - y0))
        }
    }

    private func render(pdf: URL, page: Int, scratch: ScratchDirectory) async throws -> GreyImage {
        let prefix = scratch.file("grey-\(page)")
        let output = try await ExternalTool.pdftoppm.run(["-r", "144", "-gray", "-f", String(page), "-l", String(page), "-singlefile", pdf.path, prefix.path])
        let file = URL(fileURLWithPath: prefix.path + ".pgm")
        guard output.status == 0, let data = try? Data(contentsOf: file) else {
            throw ToolError(tool: "pdftoppm", message: "pdftoppm could not render page \(page): \(output.stderrText)")
        }
        return try Self.parsePGM([UInt8](data))
    }

    /// Binary PGM (P5, 8-bit).
    static func parsePGM(_ bytes: [UInt8]) throws -> GreyImage {
        var index = 0
        func token() -> String {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
            if index < bytes.count, bytes[index] == UInt8(ascii: "#") { while index < bytes.count, bytes[index] != 0x0A { index += 1 }; return token() }
            let start = index
            while index < bytes.count, !(bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09) { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
        guard token() == "P5", let width = Int(token()), let height = Int(token()), let maxValue = Int(token()), maxValue < 256 else {
            throw ToolError(tool: "pdftoppm", message: "pdftoppm did not write an 8-bit PGM image")
        }
        index += 1
        guard bytes.count - index >= width * height else { throw ToolError(tool: "pdftoppm", message: "the rendered page image is truncated") }
        return GreyImage(width: width, height: height, pixels: Array(bytes[index..<index + width * height]))
    }
}
