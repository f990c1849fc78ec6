import CentaurCore
import CentaurTestSupport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import CentaurExtraction

extension LocalModelTests {
    /// The shipped licence suite end to end: the local llama.cpp model and the offline extractors read the sample
    /// licences; the reports are written, the JUnit XML parses back, and headless Chromium renders the HTML report
    /// (the screenshot is kept in .build/artifacts/eval-report.png).
    @Suite(.serialized, LocalModel.needed(samples: true))
    struct LocalModelEvalTests {
        @Test("examples/evals/license-extraction.yaml against the local model and the extractors; reports; Chromium renders the HTML")
        func licenseSuite() async throws {
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-eval-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            let html = work.appendingPathComponent("report.html"), xml = work.appendingPathComponent("report.xml"), json = work.appendingPathComponent("report.json")
            let output = try await CLI.run([
                "eval", "run", Repository.root.appendingPathComponent("examples/evals/license-extraction.yaml").path, "--data-dir", work.path,
                "--output", html.path, "--output", xml.path, "--output", json.path, "--quiet",
            ])
            #expect([0, 100].contains(output.status), "\(output.stderrText)")
            let report = try JSONValue(parsing: Data(contentsOf: json))
            let results = report["results"]?["results"]?.arrayValue ?? []
            #expect(results.count == 6)
            let extractor = results.filter { $0["provider"]?["id"] == "centaur:extract" }
            #expect(extractor.count == 3 && extractor.allSatisfy { $0["success"] == true }, "the barcode reads every field")
            let model = results.filter { $0["provider"]?["id"] == "centaur:small" }
            #expect(model.count == 3 && model.allSatisfy { $0["error"] == nil && ($0["response"]?["tokenUsage"]?["completion"]?.doubleValue ?? 0) > 0 })
            #expect(report["results"]?["stats"]?["successes"]?.doubleValue ?? 0 >= 3)

            let junit = try JUnitTestcases.parse(Data(contentsOf: xml))
            #expect(junit.testcases == 6, "one testcase per case and model")
            #expect(Set(junit.classnames) == ["offline extractors", "local model (Qwen2.5-Coder 0.5B)"])

            // Headless Chromium renders the self-contained report; the screenshot is a test artefact.
            let artifacts = Repository.root.appendingPathComponent(".build/artifacts")
            try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
            let screenshot = artifacts.appendingPathComponent("eval-report.png")
            try? FileManager.default.removeItem(at: screenshot)
            let chromium = Subprocess(name: "chromium", package: "chromium")
            let render = try await chromium.run(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,1800",
                                                 "--screenshot=\(screenshot.path)", html.absoluteString])
            #expect(render.status == 0, "\(render.stderrText)")
            let png = try Data(contentsOf: screenshot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            #expect(png.count > 30_000, "a rendered page, not a blank one (\(png.count) bytes)")
        }
    }
}

final class JUnitTestcases: NSObject, XMLParserDelegate {
    var testcases = 0
    var classnames: [String] = []

    static func parse(_ data: Data) throws -> JUnitTestcases {
        let counter = JUnitTestcases()
        let parser = XMLParser(data: data)
        parser.delegate = counter
        guard parser.parse() else { throw parser.parserError ?? CocoaError(.fileReadCorruptFile) }
        return counter
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if name == "testcase" { testcases += 1; classnames.append(attributes["classname"] ?? "") }
    }
}
