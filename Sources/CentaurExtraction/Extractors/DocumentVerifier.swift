import CentaurCore
import Foundation

/// The document an applicant says a file is.
public enum ExpectedDocument: String, Sendable, Hashable, Codable, CaseIterable {
    case licenseFront = "license_front"
    case licenseBack = "license_back"
    case formI9 = "i9"

    /// How an applicant would name it.
    public var title: String {
        switch self {
        case .licenseFront: "the front of a driving licence"
        case .licenseBack: "the back of a driving licence"
        case .formI9: "a Form I-9"
        }
    }
}

/// Checks that an uploaded file is the document it was uploaded as, before anything is read from it: a
/// licence back must carry a valid AAMVA barcode, a licence front must read as a licence front (and not be the
/// barcode side), an I-9 must carry the I-9's form fields or its printed text. A refusal says, in words an
/// applicant understands, what the file looks like instead and what to do.
public struct DocumentVerifier: Sendable {
    public var barcode = BarcodeExtractor()
    public var formFields = FormFieldExtractor()
    public var textExtractor: TextExtractor

    public init() {
        var text = TextExtractor()
        // The first page says what a document is; OCR of the rest waits for extraction.
        text.maximumOCRPages = 1
        textExtractor = text
    }

    /// Why the file is not the expected document, or nil when it is.
    public func problem(with document: Document, expected: ExpectedDocument) async throws -> DocumentFinding? {
        try await PDFLimits.check(document)
        let symbols = document.format == .pdf && expected == .formI9 ? [] : try await barcode.decode(document)
        let (license, barcodeProblem) = BarcodeExtractor.firstLicense(in: symbols)
        switch expected {
        case .licenseBack:
            if license != nil { return nil }
            if let barcodeProblem {
                return refusal(.barcodeInvalid, document, expected,
                               message: "the PDF417 barcode is not a valid AAMVA licence barcode: \(barcodeProblem)",
                               applicant: "The barcode in this photo is not a driving licence barcode we can read. Photograph the back of your licence again, with the whole barcode in the picture.")
            }
            let looks = try await looksLike(document)
            if let looks, looks != .licenseBack {
                return refusal(.wrongDocument, document, expected, message: "no licence barcode; the file looks like \(looks.title)",
                               applicant: "This looks like \(looks.title), not the back of a driving licence. Upload a photo of the back of your licence, the side with the barcode.")
            }
            return refusal(.barcodeMissing, document, expected, message: "no PDF417 barcode was found",
                           applicant: "We could not read the barcode on the back of your licence. Take the photo again in better light, flat, with the whole barcode in the picture.")
        case .licenseFront:
            if license != nil {
                return refusal(.wrongDocument, document, expected, message: "the file carries a licence barcode: it is the back of the licence",
                               applicant: "This is the back of your licence (the barcode side). Upload a photo of the front, the side with your photo and name.")
            }
            let looks = try await looksLike(document)
            if looks == .licenseFront { return nil }
            if let looks {
                return refusal(.wrongDocument, document, expected, message: "the file looks like \(looks.title)",
                               applicant: "This looks like \(looks.title), not the front of a driving licence. Upload a photo of the front of your licence.")
            }
            return refusal(.nothingRead, document, expected, message: "no licence text could be read",
                           applicant: "We could not read this photo as the front of a driving licence. Take it again in good light, flat and in focus, with the whole card in the picture.")
        case .formI9:
            if license != nil {
                return refusal(.wrongDocument, document, expected, message: "the file carries a licence barcode: it is the back of a licence",
                               applicant: "This looks like the back of a driving licence, not a Form I-9. Upload your completed Form I-9.")
            }
            let looks = try await looksLike(document)
            if looks == .formI9 { return nil }
            if let looks {
                return refusal(.wrongDocument, document, expected, message: "the file looks like \(looks.title)",
                               applicant: "This looks like \(looks.title), not a Form I-9. Upload your completed Form I-9.")
            }
            return refusal(.wrongDocument, document, expected, message: "neither the I-9's form fields nor its printed text were found",
                           applicant: "We could not recognise this file as a Form I-9. Upload the completed Form I-9 (the PDF, or a clear scan of its first page).")
        }
    }

    /// What the file's form fields and text say it is, if anything.
    func looksLike(_ document: Document) async throws -> ExpectedDocument? {
        let names = document.format == .pdf ? try await formFields.readFields(document).map(\.name) : []
        let (text, _) = try await textExtractor.text(of: document)
        switch DocumentClassifier.classify(text: text, formFieldNames: names) {
        case .some(let type) where type == .formI9: return .formI9
        case .some(let type) where type == .driversLicense: return .licenseFront
        default:
            return Self.licenseFrontMarkers(in: text) >= 4 ? .licenseFront : nil
        }
    }

    /// How many of the labels a US licence front prints (DOB, EXP, ISS, DL, CLASS, SEX, HGT, EYES…) the text has.
    static func licenseFrontMarkers(in text: String) -> Int {
        let words = Set(text.uppercased().split { !$0.isLetter }.map(String.init))
        return ["DOB", "EXP", "ISS", "DL", "CLASS", "SEX", "HGT", "EYES", "LN", "FN", "REST", "END", "DD"].filter(words.contains).count
    }

    private func refusal(_ code: DocumentFinding.Code, _ document: Document, _ expected: ExpectedDocument, message: String,
                         applicant: String) -> DocumentFinding {
        DocumentFinding(code: code, document: document.name, message: "\(document.name) is not \(expected.title): \(message)",
                        applicantMessage: applicant)
    }
}
