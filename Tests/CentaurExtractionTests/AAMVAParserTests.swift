import CentaurCore
import CentaurTestSupport
import Foundation
import Testing
@testable import CentaurExtraction

@Suite("AAMVA parser against ../shared/data/aamva")
struct AAMVAParserTests {
    static let metaKeys: Set<String> = [
        "source_repo", "source_commit", "source_path", "source_test_file", "source_test", "note", "suspect",
        "suspect_keys", "not_asserted", "idparser_validation", "issuer_name", "jurisdiction_elements_unasserted",
        "unverified", "payload_origin", "expected_error", "jurisdiction_elements_count", "jurisdiction_elements",
    ]

    static func cases() throws -> [String] {
        guard SharedData.present || SharedData.required else { return [] }
        let folder = SharedData.url("aamva")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        return names.filter { $0.hasSuffix(".txt") && names.contains(String($0.dropLast(4)) + ".json") }
            .map { String($0.dropLast(4)) }.sorted()
    }

    @Test("there are 46 cases", SharedData.needed)
    func caseCount() throws {
        #expect(try Self.cases().count == 46)
    }

    @Test("every case parses to its expected values (suspect values corrected)", arguments: try cases())
    func parsesCase(_ name: String) throws {
        let payload = try [UInt8](Data(contentsOf: SharedData.url("aamva/\(name).txt")))
        let expected = try JSONValue(parsing: Data(contentsOf: SharedData.url("aamva/\(name).json"))).objectValue!

        if let error = expected["expected_error"]?.stringValue {
            #expect(throws: AAMVAError.self, "expected: \(error)") { try AAMVAParser.parse(payload) }
            return
        }
        if expected["unverified"] == true {
            // No stated values: it must parse or fail with a typed error, never crash.
            let result = Result { () throws(AAMVAError) in try AAMVAParser.parse(payload) }
            if case .success(let license) = result { #expect(license.idNumber != nil) }
            return
        }
        let license = try AAMVAParser.parse(payload)
        let actual = try JSONValue(encoding: license).objectValue!
        let suspectKeys = Set(expected["suspect_keys"]?.arrayValue?.compactMap(\.stringValue) ?? [])

        for (key, value) in expected where !Self.metaKeys.contains(key) {
            if suspectKeys.contains(key) {
                checkSuspect(key: key, stated: value, license: license, name: name)
                continue
            }
            switch key {
            case "issuer_iin":
                #expect(license.issuerIIN == String(value.intValue ?? -1), "\(name).issuer_iin")
                #expect(license.issuerJurisdiction == expected["jurisdiction"]?.stringValue, "\(name): IIN → jurisdiction")
            default:
                let got = actual[key] ?? .null
                #expect(got == value, "\(name).\(key): expected \(value), got \(got)")
            }
        }
        if let elements = expected["jurisdiction_elements"]?.objectValue {
            for (id, value) in elements {
                if suspectKeys.contains("jurisdiction_elements.\(id)") {
                    // IdParser leaves the subfile type glued on: ZMZ = "MA504" means ZMA = "504".
                    let stated = value.stringValue!
                    let realID = String(id.prefix(2)) + String(stated.dropFirst().prefix(1))
                    #expect(license.jurisdictionElements[realID] == String(stated.dropFirst(2)), "\(name).\(realID)")
                    #expect(license.jurisdictionElements[id] == nil, "\(name): no glued \(id)")
                } else {
                    #expect(license.jurisdictionElements[id] == value.stringValue, "\(name).\(id)")
                }
            }
        }
        if let count = expected["jurisdiction_elements_count"]?.intValue {
            #expect(license.jurisdictionElements.count == count, "\(name): jurisdiction element count")
        }
    }

    private func checkSuspect(key: String, stated: JSONValue, license: AAMVALicense, name: String) {
        switch key {
        case "postal_code":
            // IdParser deletes "0000" from the malformed 10-digit DAK 0210800000; the ZIP is 02108.
            #expect(license.postalCode == "02108", "\(name): corrected postal code")
        case "document_discriminator":
            // Copied from another test; the payload has no DCF.
            #expect(license.documentDiscriminator == nil, "\(name): no discriminator in the payload")
        default:
            Issue.record("\(name): unhandled suspect key \(key)")
        }
    }

    @Test("rejections are typed and say why")
    func rejections() {
        #expect { try AAMVAParser.parse("ABC123") } throws: { ($0 as? AAMVAError)?.kind == .tooShort }
        let noAt = String(repeating: "X", count: 40)
        #expect { try AAMVAParser.parse(noAt) } throws: { ($0 as? AAMVAError)?.kind == .missingComplianceIndicator }
        let noHeader = "@\n\u{1e}\r" + String(repeating: "Y", count: 40)
        #expect { try AAMVAParser.parse(noHeader) } throws: { ($0 as? AAMVAError)?.kind == .missingHeader }
        let badIIN = "@\n\u{1e}\rANSI 63X014040002DL00410278DLDAQ123\n"
        #expect { try AAMVAParser.parse(badIIN) } throws: { error in
            let e = error as? AAMVAError
            return e?.kind == .invalidHeader && e!.message.contains("issuer identification number")
        }
        let headerOnly = "@\n\u{1e}\rANSI 636014040002DL00410278\n\r"
        #expect { try AAMVAParser.parse(headerOnly) } throws: { ($0 as? AAMVAError)?.kind == .noLicenceData }
    }

    @Test("dates: US month-first, Canadian and AAMVA-2000 year-first, falling back when the order is impossible")
    func dateOrder() {
        #expect(AAMVAParser.isoDate("07051973", yearFirst: false) == "1973-07-05")
        #expect(AAMVAParser.isoDate("19960603", yearFirst: true) == "1996-06-03")
        #expect(AAMVAParser.isoDate("19960603", yearFirst: false) == "1996-06-03")
        #expect(AAMVAParser.isoDate("0705197", yearFirst: false) == nil)
        #expect(AAMVAParser.isoDate("13451973", yearFirst: false) == nil)
    }

    @Test("truncation flags, weight units and the Canadian postal display")
    func units() throws {
        let payload = "@\n\u{1e}\rANSI 636012090001DL00310200DLDAQT1234\nDCSLONGNAME\nDACANN\nDDET\nDDFN\nDDGU\nDAW75 KG\nDAU170 cm\nDAKN1M 3J6\nDCGCAN\nDBB19900102\nDBC9\n\r"
        let license = try AAMVAParser.parse(payload)
        #expect(license.lastTruncated == true)
        #expect(license.firstTruncated == false)
        #expect(license.middleTruncated == nil)
        #expect(license.weightKg == 75)
        #expect(license.weightLb == nil)
        #expect(license.heightCm == 170)
        #expect(license.postalCodeDisplay == "N1M 3J6")
        #expect(license.dateOfBirth == "1990-01-02")
        #expect(license.sex == "unspecified")
        #expect(license.issuerJurisdiction == "ON")
    }
}
