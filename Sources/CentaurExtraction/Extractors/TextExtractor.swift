import CentaurCore
import Foundation

/// The document's text, keeping its layout, for models and for checks on the words themselves:
/// `pdftotext -layout` for PDFs with a text layer, `tesseract` OCR for images and scanned PDFs
/// (pages rendered with `pdftoppm`). Pages are separated by form feeds (`\u{0C}`).
public struct TextExtractor: Extractor {
    public let source = "text"
    public var ocrDPI = 200
    /// A PDF page with fewer visible characters than this is treated as scanned and OCR'd.
    public var minimumCharactersPerPage = 40
    /// At most this many pages are OCR'd (each takes seconds).
    public var maximumOCRPages = 6

    public init() {}

    public func extract(_ document: Document, as type: DocumentType) async throws -> Extraction? {
        let (text, method) = try await text(of: document)
        return Extraction(documentType: type.id, document: document.name, source: source, text: text, notes: ["text by \(method)"])
    }

    /// The text and how it was obtained (`pdftotext` or `tesseract`).
    public func text(of document: Document) async throws -> (String, String) {
        let reading = try await read(document)
        return (reading.text, reading.method)
    }

    /// What a reading gives: the text, how it was obtained and, for OCR, each word with its box.
    public struct Reading: Sendable {
        public var text: String
        public var method: String
        /// OCR'd words (empty for `pdftotext`): boxes in pixels of the image (`px`), or of the page rendered at
        /// ``ocrDPI`` for a scanned PDF (`px@200dpi`).
        public var words: [OCRWord]
    }

    /// The text, how it was obtained, and the OCR words with their boxes (one tesseract pass gives both).
    public func read(_ document: Document) async throws -> Reading {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        switch document.format {
        case .png, .jpeg:
            let image = scratch.file("input.\(document.format.fileExtension)")
            try document.data.write(to: image)
            let (text, words) = try await ocr(image, name: document.name, page: 1, unit: "px", scratch: scratch)
            return Reading(text: text, method: "tesseract", words: words)
        case .pdf:
            let pdf = scratch.file("input.pdf")
            try document.data.write(to: pdf)
            let output = try await Subprocess.pdftotext.run(["-layout", "-enc", "UTF-8", pdf.path, "-"])
            guard output.status == 0 else {
                throw DocumentError("\(document.name): the PDF cannot be read (\(output.stderrText.split(separator: "\n").first ?? "pdftotext failed"))")
            }
            let text = String(decoding: output.stdout, as: UTF8.self)
            let pages = text.split(separator: "\u{0C}", omittingEmptySubsequences: false)
            let visible = text.filter { !$0.isWhitespace }.count
            if visible >= minimumCharactersPerPage * max(1, min(pages.count, 2)) / 2 { return Reading(text: text, method: "pdftotext", words: []) }
            // A scanned PDF: render and OCR the pages.
            let rendered = try await Subprocess.pdftoppm.run(["-r", String(ocrDPI), "-png", "-l", String(maximumOCRPages), pdf.path, scratch.file("page").path])
            guard rendered.status == 0 else { throw SubprocessError(tool: "pdftoppm", message: "pdftoppm could not render \(document.name): \(rendered.stderrText)") }
            let images = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0.hasPrefix("page") }.sorted()
            var texts: [String] = []
            var words: [OCRWord] = []
            for (index, image) in images.enumerated() {
                let (pageText, pageWords) = try await ocr(scratch.file(image), name: document.name, page: index + 1, unit: "px@\(ocrDPI)dpi", scratch: scratch)
                texts.append(pageText)
                words += pageWords
            }
            return Reading(text: texts.joined(separator: "\u{0C}"), method: "tesseract", words: words)
        }
    }

    /// One tesseract pass writing the text (`txt`) and the word boxes (`tsv`).
    private func ocr(_ image: URL, name: String, page: Int, unit: String, scratch: ScratchDirectory) async throws -> (String, [OCRWord]) {
        let base = scratch.file("ocr-\(page)")
        let output = try await Subprocess.tesseract.run([image.path, base.path, "-l", "eng", "--psm", "6", "-c", "preserve_interword_spaces=1", "txt", "tsv"])
        guard output.status == 0, let text = try? String(contentsOf: base.appendingPathExtension("txt"), encoding: .utf8) else {
            throw DocumentError("\(name): OCR failed (\(output.stderrText.split(separator: "\n").last ?? "tesseract failed"))")
        }
        let tsv = (try? String(contentsOf: base.appendingPathExtension("tsv"), encoding: .utf8)) ?? ""
        return (text, OCRWord.parse(tsv: tsv, page: page, unit: unit))
    }
}

/// A word tesseract read, with its box: where a value is printed, for a reviewer to see it outlined.
public struct OCRWord: Sendable, Hashable, Codable {
    public var text: String
    public var page: Int
    public var box: BoundingBox

    public init(text: String, page: Int, box: BoundingBox) {
        self.text = text; self.page = page; self.box = box
    }

    /// The words of tesseract's TSV output (level 5 rows: `level page block par line word left top width height conf text`).
    static func parse(tsv: String, page: Int, unit: String) -> [OCRWord] {
        tsv.split(separator: "\n").compactMap { line in
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count >= 12, columns[0] == "5", let left = Double(columns[6]), let top = Double(columns[7]),
                  let width = Double(columns[8]), let height = Double(columns[9]) else { return nil }
            let text = columns[11...].joined(separator: "\t").trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { return nil }
            return OCRWord(text: text, page: page, box: BoundingBox(x: left, y: top, width: width, height: height, unit: unit))
        }
    }
}
