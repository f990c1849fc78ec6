import CentaurCore
import CentaurExtraction
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
