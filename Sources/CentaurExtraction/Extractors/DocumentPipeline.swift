import CentaurCore
import Foundation
import Logging

/// Extracts an applicant's documents: detects each file's type (unless given), runs the independent
/// sources (barcode, form fields, text, and a model when configured or needed), then reconciles the
/// files of each type into one document (a licence's front and back are one licence).
public struct DocumentPipeline: Sendable {
    public enum ModelUse: String, Sendable, CaseIterable {
        /// Never call a model.
        case never
        /// Call it when the deterministic sources (barcode, form fields) found no fields.
        case whenNeeded = "when-needed"
        /// Call it for every document, so its answer can be checked against the other sources.
        case always
    }

    public var model: ModelExtractor?
    /// Extraction experiments: the document types whose model and examples are chosen per subject.
    public var variants: ExtractionVariants?
    public var modelUse: ModelUse
    public var logger: Logger
    public var barcode = BarcodeExtractor()
    public var formFields = FormFieldExtractor()
    public var textExtractor = TextExtractor()
    public var layout = LayoutExtractor()

    public init(model: ModelExtractor? = nil, modelUse: ModelUse = .whenNeeded, logger: Logger = .disabled) {
        self.model = model
        self.modelUse = modelUse
        self.logger = logger
    }

    /// Extracts every file; files of one type are merged. Order of the result follows the first file of each type.
    public func extract(_ documents: [Document], as givenType: DocumentType? = nil,
                        progress: @Sendable (String) -> Void = { _ in }) async throws -> [ReconciledDocument] {
        var perDocument: [[Extraction]] = []
        for document in documents {
            progress("reading \(document.summary)")
            perDocument.append(try await extract(document, as: givenType, progress: progress))
        }
        return Self.reconcile(perDocument)
    }

    /// Groups each file's extractions by document type and reconciles each group.
    public static func reconcile(_ perDocument: [[Extraction]]) -> [ReconciledDocument] {
        var byType: [(DocumentType, [Extraction])] = []
        for extractions in perDocument {
            guard let typeID = extractions.first?.documentType, let type = try? DocumentType.named(typeID) else { continue }
            if let index = byType.firstIndex(where: { $0.0.id == type.id }) {
                byType[index].1 += extractions
            } else {
                byType.append((type, extractions))
            }
        }
        return byType.map { Reconciler.reconcile($0.1, type: $0.0) }
    }

    /// Every source's extraction of one file.
    public func extract(_ document: Document, as givenType: DocumentType?, subject: String? = nil,
                        progress: @Sendable (String) -> Void = { _ in }) async throws -> [Extraction] {
        try await PDFLimits.check(document)
        let licenseType = DocumentType.driversLicense
        var symbols: [BarcodeExtractor.Symbol]?
        var license: (AAMVALicense, BarcodeExtractor.Symbol)?
        var barcodeProblem: String?
        func decodeBarcode() async throws {
            guard symbols == nil else { return }
            symbols = try await barcode.decode(document)
            (license, barcodeProblem) = BarcodeExtractor.firstLicense(in: symbols ?? [])
        }
        // An image may be a licence back: a barcode side needs no OCR.
        if document.format != .pdf, givenType == nil || givenType == licenseType { try await decodeBarcode() }

        var text: String?
        var method = "none"
        var words: [OCRWord] = []
        if license == nil {
            let reading = try await textExtractor.read(document)
            (text, method, words) = (reading.text, reading.method, reading.words)
        }
        var formFieldList: [FormFieldExtractor.FormField]?
        if document.format == .pdf { formFieldList = try await formFields.readFields(document) }

        let type: DocumentType
        if let givenType {
            type = givenType
        } else if license != nil {
            type = licenseType
        } else if let detected = DocumentClassifier.classify(text: text ?? "", formFieldNames: formFieldList?.map(\.name) ?? []) {
            type = detected
        } else {
            try await decodeBarcode()
            guard license != nil else {
                throw DocumentError("\(document.name): cannot tell what document this is; pass --type (\(DocumentType.builtIn.map(\.id).joined(separator: ", ")))")
            }
            type = licenseType
        }
        if givenType == nil { progress("\(document.name): detected \(type.id)") }

        var notes = ["\(document.name): " + (text == nil ? "a licence barcode side (not OCR'd)" : "text by \(method)")]
        if type == licenseType { try await decodeBarcode() }
        var extractions = [Extraction(documentType: type.id, document: document.name, source: "text", text: text, notes: notes, words: words)]
        if type == licenseType, license == nil, let barcodeProblem {
            extractions.append(Extraction(documentType: type.id, document: document.name, source: "barcode", findings: [DocumentFinding(
                code: .barcodeInvalid, document: document.name,
                message: "\(document.name): a PDF417 barcode was found but is not a valid AAMVA licence barcode: \(barcodeProblem)",
                applicantMessage: "The barcode on \(document.name) is not a driving licence barcode we can read. Photograph the back of your licence again, with the whole barcode in the picture.")]))
        }
        if type == licenseType, let (parsed, symbol) = license {
            extractions.append(BarcodeExtractor.extraction(of: parsed, document: document.name, box: symbol.box, page: symbol.page))
        }
        if let formFieldList, let mapping = FormFieldExtractor.mappings[type.id], !formFieldList.isEmpty {
            let extraction = FormFieldExtractor.extraction(of: formFieldList, type: type, mapping: mapping, document: document.name)
            if !extraction.fields.isEmpty { extractions.append(extraction) }
        }
        if document.format == .pdf || LayoutExtractor.layouts[type.id] != nil, let extraction = try await layout.extract(document, as: type) {
            extractions.append(extraction)
        }
        let deterministic = extractions.contains { !$0.fields.isEmpty }
        // A type under an experiment (`extract.TYPE` in functions:) is read by the subject's variant; others by the model.
        if let model = variants?.extractor(for: type, subject: subject) ?? model,
           modelUse == .always || (modelUse == .whenNeeded && !deterministic) {
            // A document with no readable text gets no model values: the model would only imagine them.
            if let text, TextGrounding(text: text).isReadable {
                progress("\(document.name): asking \(model.modelName)")
                if let extraction = try await model.extract(document, as: type, text: text, subject: subject) { extractions.append(extraction) }
            } else {
                extractions[0].notes.append("\(document.name): no readable text, so \(model.modelName) was not asked (it could only guess)")
            }
        }
        return extractions
    }
}

/// Tells a document's type from its form fields and text.
public enum DocumentClassifier {
    public static func classify(text: String, formFieldNames: [String]) -> DocumentType? {
        let names = Set(formFieldNames)
        if names.contains("US Social Security Number") || names.contains("CB_1") && names.contains("Date of Birth mmddyyyy") {
            return .formI9
        }
        let upper = text.uppercased()
        func has(_ words: String...) -> Bool { words.contains { upper.contains($0) } }
        if has("EMPLOYMENT ELIGIBILITY VERIFICATION", "FORM I-9") { return .formI9 }
        if has("EARNINGS STATEMENT", "PAY STUB", "PAYSTUB") || (has("NET PAY") && has("GROSS")) { return .payStub }
        if has("STATEMENT PERIOD", "BEGINNING BALANCE", "OPENING BALANCE") && has("BALANCE") { return .bankStatement }
        if has("DRIVER LICENSE", "DRIVER'S LICENSE", "DRIVERS LICENSE", "DRIVER LICENCE", "IDENTIFICATION CARD") { return .driversLicense }
        return nil
    }
}
