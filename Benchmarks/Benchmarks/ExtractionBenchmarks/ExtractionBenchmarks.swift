import Benchmark
import CentaurExtraction
import CentaurRules
import Foundation

/// The shared AAMVA payloads (../shared/data/aamva), or CENTAUR_SHARED_DIR/data/aamva.
private func aamvaPayloads() -> [[UInt8]] {
    let shared = ProcessInfo.processInfo.environment["CENTAUR_SHARED_DIR"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared").path
    let folder = URL(fileURLWithPath: shared).appendingPathComponent("data/aamva")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.filter { $0.hasSuffix(".txt") }.sorted().compactMap {
        try? [UInt8](Data(contentsOf: folder.appendingPathComponent($0)))
    }.filter { $0.count > 100 }
}

let benchmarks: @Sendable () -> Void = {
    let payloads = aamvaPayloads()
    Benchmark.defaultConfiguration = .init(metrics: [.throughput, .wallClock, .mallocCountTotal], maxDuration: .seconds(3))

    // One iteration parses every shared payload once; throughput × payload count = payloads per second.
    Benchmark("AAMVA parse (\(payloads.count) payloads per iteration)") { benchmark in
        for _ in benchmark.scaledIterations {
            for payload in payloads {
                blackHole(try? AAMVAParser.parse(payload))
            }
        }
    }

    let rules = try! RuleSet.builtIn(named: "driver-onboarding")
    let facts = RuleFacts.sampleApplicant
    Benchmark("Driver-onboarding rules over one applicant") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(rules.evaluate(facts))
        }
    }
}
