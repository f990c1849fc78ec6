import CentaurCore
@testable import CentaurExtraction
import CentaurTestSupport
import Foundation
import Testing

@Suite("Grounding values in a document's text")
struct GroundingTests {
    // What tesseract read from a generated licence front: "$" for "S", words run together.
    let front = TextGrounding(text: """
    ILLINOIS                              DRIVER LICENSE
    DL $20116410457
    EXP 03/06/2033
    LN SAMPLETON
    FN JANE QUINN
    SPRINGFIELD, IL 62704
    DOB 03/06/1996
    ISS 03/06/2025
    SEXF HGT6'-00" EYES BRO
    """)

    @Test("values printed on the document are found, through OCR slips of letters for look-alike digits")
    func printedValuesAreFound() {
        #expect(front.contains("S20116410457", kind: .identifier))
        #expect(front.contains("SAMPLETON", kind: .name))
        #expect(front.contains("JANE", kind: .name))
        #expect(front.contains("1996-03-06", kind: .date))
        #expect(front.contains("2033-03-06", kind: .date))
        #expect(front.contains("IL", kind: .code))
    }

    @Test("a value's box is the union of the fewest OCR words that print it exactly")
    func boxes() throws {
        func word(_ text: String, _ x: Double, page: Int = 1) -> OCRWord {
            OCRWord(text: text, page: page, box: BoundingBox(x: x, y: 10, width: 50, height: 20, unit: "px"))
        }
        let words = [word("LN", 0), word("SAMPLETON", 60), word("DOB", 200), word("03/06/1996", 260), word("JANE", 400), word("QUINN", 460)]
        let name = try #require(TextGrounding.box(of: "SAMPLETON", kind: .name, in: words))
        #expect(name.box == BoundingBox(x: 60, y: 10, width: 50, height: 20, unit: "px"))
        let date = try #require(TextGrounding.box(of: "1996-03-06", kind: .date, in: words))
        #expect(date.box.x == 260 && date.box.width == 50)
        let full = try #require(TextGrounding.box(of: "JANE QUINN", kind: .name, in: words))
        #expect(full.box.x == 400 && full.box.width == 110, "two words, one box")
        #expect(TextGrounding.box(of: "1996-03-07", kind: .date, in: words) == nil, "only exact matches are outlined")
        #expect(TextGrounding.box(of: "ROE", kind: .name, in: words) == nil)
    }

    @Test("tesseract's TSV gives each word its box; lines that are not words are skipped")
    func tsv() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
            + "1\t1\t0\t0\t0\t0\t0\t0\t1100\t700\t-1\t\n"
            + "5\t1\t1\t1\t1\t1\t52\t40\t180\t31\t96.1\tILLINOIS\n"
            + "5\t1\t1\t1\t1\t2\t300\t40\t10\t31\t12.0\t \n"
        let words = OCRWord.parse(tsv: tsv, page: 1, unit: "px")
        #expect(words == [OCRWord(text: "ILLINOIS", page: 1, box: BoundingBox(x: 52, y: 40, width: 180, height: 31, unit: "px"))])
    }

    @Test("on a generated licence, the front's printed name, date of birth, number and postcode are outlined where OCR read them",
          Samples.needed)
    func boxesOnASample() async throws {
        let samples = Samples.root.appendingPathComponent("person-01")
        let documents = try ["license-front.png", "license-back.png"].map { try Document(name: $0, data: try Data(contentsOf: samples.appendingPathComponent($0))) }
        let licence = try #require(try await DocumentPipeline(modelUse: .never).extract(documents).first)
        for field in ["last_name", "date_of_birth", "id_number", "postal_code"] {
            // The front either read the value itself (layout text) or confirms the barcode's.
            let front = ((licence.provenance[field] ?? []) + (licence.confirmations[field] ?? [])).first { $0.document == "license-front.png" }
            let box = try #require(front?.box, "\(field) is outlined on the front")
            #expect(box.unit == "px" && box.x >= 0 && box.y >= 0 && box.x + box.width <= 1100 && box.y + box.height <= 700 && box.width > 0, "\(box)")
        }
    }

    @Test("invented values and values one digit off are not found")
    func inventedValuesAreNot() {
        #expect(!front.contains("JOHN", kind: .name))
        #expect(!front.contains("DOE", kind: .name))
        #expect(!front.contains("123 Main St", kind: .text))
        #expect(!front.contains("2020-03-06", kind: .date), "another date on the card differs by one digit: not the same date")
        #expect(!front.contains("S20116410458", kind: .identifier), "one digit for another is another number")
        #expect(!front.contains("AN", kind: .name), "a short value must be a whole word, not part of one")
        #expect(!front.contains(.bool(true), kind: .boolean), "a flag is never read from text")
    }

    @Test("a blank page or a barcode's OCR noise is not readable text")
    func readability() {
        #expect(!TextGrounding(text: "").isReadable)
        #expect(!TextGrounding(text: " |  ' ,\n\u{0C}").isReadable)
        #expect(front.isReadable)
    }

    @Test("the approximate search is linear: a 200 KB text with no match answers")
    func largeText() {
        let text = String(repeating: "LOREM IPSUM DOLOR SIT AMET ", count: 8000)
        #expect(!TextGrounding(text: text).contains("S20116410457", kind: .identifier))
    }
}
