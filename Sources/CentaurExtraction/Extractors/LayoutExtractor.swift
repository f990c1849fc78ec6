import CentaurCore
import Foundation

/// Reads a fixed-layout form whose values exist only as printed text (a flattened or printed-to-PDF I-9)
/// by position: the words `pdftotext -bbox` places inside each field's rectangle, taken from the blank
/// form's AcroForm (`Resources/layouts/`). A scanned PDF, or a PNG/JPEG of the first page, is OCR'd with
/// word boxes (`tesseract … tsv`) instead; this assumes the scan is upright and fills the page (no deskew).
/// Check boxes are read from pixels for PDFs: the page is rendered in grey and a box whose inner area is
/// dark enough is checked.
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
            // A name on several pages (the I-9's "Document Title 1" is List A on page 1 and Supplement B on
            // page 4) means its first page: that is where the mapped value lives.
            var seen: Set<String> = []
            let unique = fields.sorted { $0.page < $1.page }.filter { seen.insert($0.name).inserted }
            layouts[type] = Layout(documentType: type, edition: json["edition"]?.stringValue ?? "", fields: unique)
        }
        return layouts
    }()

    public func extract(_ document: Document, as type: DocumentType) async throws -> Extraction? {
        guard let layout = Self.layouts[type.id], let mapping = FormFieldExtractor.mappings[type.id] else { return nil }
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let lastPage = layout.fields.filter { mapping[$0.name] != nil }.map(\.page).max() ?? 1
        var pages: [[Word]] = []
        var method = "page text"
        var pdf: URL?
        switch document.format {
        case .pdf:
            let file = scratch.file("input.pdf")
            try document.data.write(to: file)
            pdf = file
            let output = try await Subprocess.pdftotext.run(["-bbox", "-enc", "UTF-8", "-l", String(lastPage), file.path, "-"])
            guard output.status == 0 else { throw DocumentError("\(document.name): the PDF cannot be read (\(output.stderrText))") }
            pages = try await offload { Self.parseBoundingBoxes(String(decoding: output.stdout, as: UTF8.self)) }
            if pages.allSatisfy(\.isEmpty) {
                // A scanned form: OCR each page image with word boxes.
                method = "OCR word boxes"
                pages = []
                for page in 1...lastPage {
                    let prefix = scratch.file("scan-\(page)")
                    let rendered = try await Subprocess.pdftoppm.run(["-r", String(ocrDPI), "-png", "-f", String(page), "-l", String(page), "-singlefile", file.path, prefix.path])
                    if rendered.status != 0, page > 1 { break } // fewer pages than the form has
                    guard rendered.status == 0 else { throw SubprocessError(tool: "pdftoppm", message: "pdftoppm could not render \(document.name): \(rendered.stderrText)") }
                    pages.append(try await ocrWords(URL(fileURLWithPath: prefix.path + ".png"), name: document.name))
                }
            }
        case .png, .jpeg:
            // A photo or scan of the form's first page, taken to fill the image.
            method = "OCR word boxes"
            let image = scratch.file("input.\(document.format.fileExtension)")
            try document.data.write(to: image)
            pages = [try await ocrWords(image, name: document.name)]
        }

        var formFields: [FormFieldExtractor.FormField] = []
        for field in layout.fields where !field.checkbox && mapping[field.name] != nil {
            guard field.page <= pages.count else { continue }
            let inside = pages[field.page - 1].filter { word in
                let cx = (word.box.x + word.box.width / 2), cy = (word.box.y + word.box.height / 2)
                return cx >= field.box.x - 1 && cx <= field.box.x + field.box.width + 1
                    && cy >= field.box.y - 1 && cy <= field.box.y + field.box.height + 1
            }
            guard !inside.isEmpty else { continue }
            formFields.append(.init(name: field.name, value: Self.readingOrder(inside).map(\.text).joined(separator: " "), page: field.page, rect: field.box, isCheckbox: false))
        }
        if let pdf {
            let checkboxes = layout.fields.filter(\.checkbox)
            for page in Set(checkboxes.map(\.page)).sorted() where page <= min(lastPage, max(pages.count, 1)) {
                let image = try await render(pdf: pdf, page: page, scratch: scratch)
                let threshold = checkedThreshold
                formFields += try await offload {
                    checkboxes.filter { $0.page == page }.map { field in
                        let checked = image.darkFraction(in: field.box, inset: 0.2) > threshold
                        return FormFieldExtractor.FormField(name: field.name, value: checked ? "/On" : "/Off", page: page, rect: field.box, isCheckbox: true)
                    }
                }
            }
        }
        guard formFields.contains(where: { !$0.isCheckbox }) else { return nil }
        var extraction = FormFieldExtractor.extraction(of: formFields, type: type, mapping: mapping, document: document.name)
        extraction.source = source
        for (key, var field) in extraction.fields {
            field.provenance.source = source
            extraction.fields[key] = field
        }
        extraction.notes.append("\(document.name): read by position (\(method)) on the \(layout.edition) \(type.id) layout")
        return extraction
    }

    /// Resolution of page images OCR'd for word boxes.
    public var ocrDPI = 200

    /// Words with boxes in points (top-left origin) from `tesseract … tsv`; the image is taken to be a US-letter page.
    private func ocrWords(_ image: URL, name: String) async throws -> [Word] {
        let output = try await Subprocess.tesseract.run([image.path, "stdout", "-l", "eng", "--psm", "11", "tsv"])
        guard output.status == 0 else { throw DocumentError("\(name): OCR failed (\(output.stderrText))") }
        return try await offload { Self.parseTSV(String(decoding: output.stdout, as: UTF8.self), pageWidthPoints: 612) }
    }

    /// Tesseract TSV (level, page, block, par, line, word, left, top, width, height, conf, text) → words in points.
    static func parseTSV(_ tsv: String, pageWidthPoints: Double) -> [Word] {
        var scale = 1.0
        var words: [Word] = []
        for line in tsv.split(separator: "\n").dropFirst() {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count >= 12, let level = Int(columns[0]), let left = Double(columns[6]), let top = Double(columns[7]),
                  let width = Double(columns[8]), let height = Double(columns[9]) else { continue }
            if level == 1, width > 0 { scale = pageWidthPoints / width; continue }
            let text = String(columns[11]).trimmingCharacters(in: .whitespaces)
            guard level == 5, !text.isEmpty, (Double(columns[10]) ?? 0) >= 0 else { continue }
            words.append(Word(text: text, box: BoundingBox(x: left * scale, y: top * scale, width: width * scale, height: height * scale, unit: "pt")))
        }
        return words
    }

    struct Word { let text: String; let box: BoundingBox }

    /// Words in reading order: grouped into lines (vertical centres within half a word's height, as OCR
    /// baselines wobble), each line left to right.
    static func readingOrder(_ words: [Word]) -> [Word] {
        var lines: [[Word]] = []
        for word in words.sorted(by: { $0.box.y + $0.box.height / 2 < $1.box.y + $1.box.height / 2 }) {
            let centre = word.box.y + word.box.height / 2
            if let last = lines.last?.last, abs((last.box.y + last.box.height / 2) - centre) <= max(last.box.height, word.box.height) / 2 {
                lines[lines.count - 1].append(word)
            } else {
                lines.append([word])
            }
        }
        return lines.flatMap { $0.sorted { $0.box.x < $1.box.x } }
    }

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
        let output = try await Subprocess.pdftoppm.run(["-r", "144", "-gray", "-f", String(page), "-l", String(page), "-singlefile", pdf.path, prefix.path])
        let file = URL(fileURLWithPath: prefix.path + ".pgm")
        guard output.status == 0, let data = try? Data(contentsOf: file) else {
            throw SubprocessError(tool: "pdftoppm", message: "pdftoppm could not render page \(page): \(output.stderrText)")
        }
        return try await offload { try Self.parsePGM([UInt8](data)) }
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
            throw SubprocessError(tool: "pdftoppm", message: "pdftoppm did not write an 8-bit PGM image")
        }
        index += 1
        guard bytes.count - index >= width * height else { throw SubprocessError(tool: "pdftoppm", message: "the rendered page image is truncated") }
        return GreyImage(width: width, height: height, pixels: Array(bytes[index..<index + width * height]))
    }
}
