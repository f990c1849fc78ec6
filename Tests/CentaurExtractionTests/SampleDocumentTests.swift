import CentaurCore
import CentaurTestSupport
import Foundation
import Testing
@testable import CentaurExtraction

@Suite("PDF417 round trip of the shared AAMVA payloads", SharedData.needed,
       .enabled(if: Subprocess.zxingWriter.isInstalled || Samples.required, "run scripts/setup-system"))
struct BarcodeRoundTripTests {
    @Test("every payload renders with ZXingWriter and decodes back byte-exact through the barcode extractor")
    func roundTrip() async throws {
        let folder = SharedData.url("aamva")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".txt") }.sorted()
        #expect(names.count == 46)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-pdf417-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var exact = 0
        for name in names {
            let payload = try [UInt8](Data(contentsOf: folder.appendingPathComponent(name)))
            let image = scratch.appendingPathComponent(name + ".png")
            try await BarcodeExtractor.render(payload: payload, to: image)
            let document = try Document(contentsOf: image)
            let symbols = try await BarcodeExtractor().decode(document)
            #expect(symbols.count == 1, "\(name): \(symbols.count) symbols")
            if symbols.first?.bytes == payload { exact += 1 } else { Issue.record("\(name): decoded bytes differ from the payload") }
            #expect(symbols.first?.box != nil, "\(name): the symbol's position")
        }
        #expect(exact == names.count)
    }
}

@Suite("Generated sample applicants", Samples.needed)
struct SampleDocumentTests {
    @Test("the samples exist")
    func present() throws {
        #expect(Samples.present, "scripts/generate-samples did not write \(Samples.root.path)")
        #expect(try Samples.people().count >= 3)
    }

    @Test("licence backs: the barcode gives every expected field; the front is detected as a licence by its text")
    func licenses() async throws {
        let pipeline = DocumentPipeline(modelUse: .never)
        for person in try Samples.people() {
            let expected = try #require(try Samples.expected(person)["us-drivers-license"]?.objectValue)
            let documents = [try Document(contentsOf: Samples.url(person, "license-front.png")),
                             try Document(contentsOf: Samples.url(person, "license-back.png"))]
            let results = try await pipeline.extract(documents)
            #expect(results.count == 1, "\(person): front and back are one licence")
            let license = try #require(results.first)
            #expect(license.documentType == "us-drivers-license")
            #expect(license.documents == ["license-front.png", "license-back.png"])
            for (key, value) in expected {
                #expect(license.fields[key] == value, "\(person).\(key): expected \(value), got \(license.fields[key] ?? .null)")
                #expect(license.provenance[key]?.first?.source == "barcode", "\(person).\(key) comes from the barcode")
            }
            #expect(license.text?.contains(expected["last_name"]!.stringValue!) == true, "\(person): the front's OCR text holds the name")
        }
    }

    @Test("a scanned I-9 (image-only PDF) is OCR'd, detected, and read by position; a JPEG licence front is read")
    func scannedAndJPEG() async throws {
        let person = try #require(try Samples.people().first)
        let expected = try #require(try Samples.expected(person)["form-i9"]?.objectValue)
        let pipeline = DocumentPipeline(modelUse: .never)
        let results = try await pipeline.extract([try Document(contentsOf: Samples.url(person, "i9-scanned.pdf"))])
        let i9 = try #require(results.first)
        #expect(i9.documentType == "form-i9")
        #expect(i9.notes.contains { $0.contains("text by tesseract") })
        #expect(i9.fields["citizenship_status"] == 1, "the check box read from pixels")
        var correct = 0
        for (key, value) in expected where key != "citizenship_status" {
            if i9.fields[key] == Normalizer.normalize(value, for: DocumentType.formI9.field(key)!) { correct += 1 }
        }
        // OCR is not perfect: most Section 1 and 2 values must come through by position.
        #expect(Double(correct) / Double(expected.count - 1) >= 0.8, "\(correct)/\(expected.count - 1): \(i9.fields)")
        #expect(i9.provenance["last_name"]?.first?.source == "layout_text")
        #expect(i9.fields["last_name"] == expected["last_name"])

        let jpeg = try Document(contentsOf: Samples.url(person, "license-front.jpg"))
        #expect(jpeg.format == .jpeg)
        let front = try await pipeline.extract([jpeg])
        #expect(front.first?.documentType == "us-drivers-license")
        #expect(front.first?.text?.contains(try #require(try Samples.expected(person)["us-drivers-license"]?["last_name"]?.stringValue)) == true)
    }

    @Test("pay stubs and bank statements are detected by their text")
    func detection() async throws {
        let pipeline = DocumentPipeline(modelUse: .never)
        let person = try #require(try Samples.people().first)
        let results = try await pipeline.extract([try Document(contentsOf: Samples.url(person, "pay-stub.pdf")),
                                                  try Document(contentsOf: Samples.url(person, "bank-statement.pdf"))])
        #expect(results.map(\.documentType) == ["pay-stub", "bank-statement"])
        #expect(results[0].notes.contains { $0.contains("no field was read") }, "without a model only the text is available")

    }
}
