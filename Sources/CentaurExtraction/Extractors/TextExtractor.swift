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
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        switch document.format {
        case .png, .jpeg:
            let image = scratch.file("input.\(document.format.fileExtension)")
            try document.data.write(to: image)
            return (try await ocr(image, name: document.name), "tesseract")
        case .pdf:
            let pdf = scratch.file("input.pdf")
            try document.data.write(to: pdf)
            let output = try await ExternalTool.pdftotext.run(["-layout", "-enc", "UTF-8", pdf.path, "-"])
            guard output.status == 0 else {
                throw DocumentError("\(document.name): the PDF cannot be read (\(output.stderrText.split(separator: "\n").first ?? "pdftotext failed"))")
            }
            let text = String(decoding: output.stdout, as: UTF8.self)
            let pages = text.split(separator: "\u{0C}", omittingEmptySubsequences: false)
            let visible = text.filter { !$0.isWhitespace }.count
            if visible >= minimumCharactersPerPage * max(1, min(pages.count, 2)) / 2 { return (text, "pdftotext") }
            // A scanned PDF: render and OCR the pages.
            let rendered = try await ExternalTool.pdftoppm.run(["-r", String(ocrDPI), "-png", "-l", String(maximumOCRPages), pdf.path, scratch.file("page").path])
            guard rendered.status == 0 else { throw ToolError(tool: "pdftoppm", message: "pdftoppm could not render \(document.name): \(rendered.stderrText)") }
            let images = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0.hasPrefix("page") }.sorted()
            var texts: [String] = []
            for image in images { texts.append(try await ocr(scratch.file(image), name: document.name)) }
            return (texts.joined(separator: "\u{0C}"), "tesseract")
        }
    }

    private func ocr(_ image: URL, name: String) async throws -> String {
        let output = try await ExternalTool.tesseract.run([image.path, "stdout", "-l", "eng", "--psm", "6", "-c", "preserve_interword_spaces=1"])
        guard output.status == 0 else {
            throw DocumentError("\(name): OCR failed (\(output.stderrText.split(separator: "\n").last ?? "tesseract failed"))")
        }
        return String(decoding: output.stdout, as: UTF8.self)
    }
}
