import CentaurCore
import CentaurExtraction
import Foundation

/// One held-out document: its text and the values a human stands behind.
public struct FlywheelCase: Sendable, Hashable {
    public var subject: String
    public var text: String
    public var truth: [String: JSONValue]

    public init(subject: String, text: String, truth: [String: JSONValue]) {
        self.subject = subject; self.text = text; self.truth = truth
    }
}

/// A way of extracting to compare: a model, zero-shot or with examples.
public struct FlywheelVariant: Sendable {
    public var name: String
    public var extractor: ModelExtractor

    public init(name: String, extractor: ModelExtractor) {
        self.name = name; self.extractor = extractor
    }
}

/// The loop's measurement: every variant reads every held-out document; field accuracy (overall and per field) with
/// Wilson intervals, cost and latency; each variant against the first (the current one) with Newcombe's interval of
/// the difference; and a recommendation that names a variant only when its gain is significant.
public struct FlywheelReport: Sendable, Codable {
    public struct VariantResult: Sendable, Codable {
        public var name: String
        public var documents: Int
        public var correct: Int
        public var compared: Int
        public var accuracy: Double
        public var interval: [Double]
        /// Per field: correct and compared.
        public var fields: [String: [Int]]
        public var costUSD: Double?
        public var inputTokens: Int
        public var outputTokens: Int
        public var latencyP50MS: Double
        public var latencyP95MS: Double
        /// Documents whose answer never validated.
        public var invalid: Int

        enum CodingKeys: String, CodingKey {
            case name, documents, correct, compared, accuracy, interval, fields, invalid
            case costUSD = "cost_usd", inputTokens = "input_tokens", outputTokens = "output_tokens"
            case latencyP50MS = "latency_p50_ms", latencyP95MS = "latency_p95_ms"
        }
    }

    public struct Difference: Sendable, Codable {
        public var variant: String
        public var gain: Double
        public var interval: [Double]
        public var significant: Bool
    }

    public var documentType: String
    public var dataset: String?
    public var trainExamples: Int
    public var variants: [VariantResult]
    public var differences: [Difference]
    /// The variant to promote, or nil to keep the current one.
    public var promote: String?

    enum CodingKeys: String, CodingKey {
        case dataset, variants, differences, promote
        case documentType = "document_type", trainExamples = "train_examples"
    }
}

public enum FlywheelEvaluation {
    /// Whether the extracted value is the human's (both normalised as the field's kind says).
    static func matches(_ extracted: JSONValue?, _ truth: JSONValue, field: DocumentType.Field) -> Bool {
        guard let extracted else { return false }
        return Normalizer.normalize(extracted, for: field) == Normalizer.normalize(truth, for: field)
    }

    /// Runs every variant over every case (one at a time: a local model serves one request well) and measures.
    public static func run(type: DocumentType, cases: [FlywheelCase], variants: [FlywheelVariant], dataset: String? = nil, trainExamples: Int = 0,
                           progress: @Sendable (String) -> Void = { _ in }) async throws -> FlywheelReport {
        var results: [FlywheelReport.VariantResult] = []
        for variant in variants {
            var correct = 0, compared = 0, invalid = 0, input = 0, output = 0
            var cost: Double? = 0
            var fields: [String: [Int]] = [:]
            var latencies: [Double] = []
            for (index, item) in cases.enumerated() {
                progress("\(variant.name): \(index + 1)/\(cases.count)")
                let started = ContinuousClock.now
                let extraction = try await variant.extractor.extract(text: item.text, name: item.subject, as: type, subject: item.subject)
                latencies.append((ContinuousClock.now - started).seconds * 1000)
                if extraction.attempts.last?.violations.isEmpty == false { invalid += 1 }
                for attempt in extraction.attempts {
                    input += attempt.usage.inputTokens
                    output += attempt.usage.outputTokens
                    cost = attempt.cost.flatMap { c in cost.map { $0 + c } }
                }
                for field in type.modelFields {
                    guard let truth = item.truth[field.name], truth != .null else { continue }
                    let right = matches(extraction.fields[field.name]?.value, truth, field: field)
                    compared += 1
                    if right { correct += 1 }
                    fields[field.name, default: [0, 0]][1] += 1
                    if right { fields[field.name, default: [0, 0]][0] += 1 }
                }
            }
            let interval = Interval.wilson(correct, compared)
            results.append(.init(name: variant.name, documents: cases.count, correct: correct, compared: compared,
                                 accuracy: compared == 0 ? 0 : Double(correct) / Double(compared), interval: [interval.lowerBound, interval.upperBound],
                                 fields: fields, costUSD: cost, inputTokens: input, outputTokens: output,
                                 latencyP50MS: EvalSummary.percentile(latencies, 50), latencyP95MS: EvalSummary.percentile(latencies, 95),
                                 invalid: invalid))
        }
        var differences: [FlywheelReport.Difference] = []
        if let base = results.first {
            for other in results.dropFirst() {
                let interval = Interval.rateDifference((base.correct, base.compared), (other.correct, other.compared))
                differences.append(.init(variant: other.name, gain: other.accuracy - base.accuracy, interval: [interval.lowerBound, interval.upperBound],
                                         significant: interval.lowerBound > 0))
            }
        }
        let promote = differences.filter(\.significant).max { $0.gain < $1.gain }?.variant
        return FlywheelReport(documentType: type.id, dataset: dataset, trainExamples: trainExamples, variants: results, differences: differences,
                              promote: promote)
    }
}

extension FlywheelReport {
    /// The table `centaur flywheel run` prints.
    public var text: String {
        var lines = ["\(documentType): \(variants.first?.documents ?? 0) held-out documents, \(trainExamples) labelled examples to draw from"
                     + (dataset.map { " (\($0))" } ?? ""), "",
                     "variant                      field accuracy (95 % CI)     tokens in/out     cost          p50 s   invalid"]
        for v in variants {
            lines.append(v.name.padding(toLength: 28, withPad: " ", startingAt: 0)
                + String(format: " %5.1f%% (%4.1f–%4.1f) %3d/%-4d  %7d/%-6d  %@  %6.1f   %d", v.accuracy * 100, v.interval[0] * 100, v.interval[1] * 100,
                         v.correct, v.compared, v.inputTokens, v.outputTokens, v.costUSD.map { String(format: "$%.5f", $0) } ?? "unknown  ",
                         v.latencyP50MS / 1000, v.invalid))
        }
        let fieldNames = Set(variants.flatMap { $0.fields.keys }).sorted()
        if !fieldNames.isEmpty {
            lines.append("")
            lines.append("per field".padding(toLength: 22, withPad: " ", startingAt: 0) + variants.map { $0.name.padding(toLength: 16, withPad: " ", startingAt: 0) }.joined())
            for field in fieldNames {
                lines.append(field.padding(toLength: 22, withPad: " ", startingAt: 0) + variants.map { v in
                    let counts = v.fields[field] ?? [0, 0]
                    return "\(counts[0])/\(counts[1])".padding(toLength: 16, withPad: " ", startingAt: 0)
                }.joined())
            }
            lines.append("")
        }
        for d in differences {
            lines.append(String(format: "  %@ against %@: %+.1f points (95 %% CI %+.1f to %+.1f)%@", d.variant, variants.first?.name ?? "", d.gain * 100,
                                d.interval[0] * 100, d.interval[1] * 100, d.significant ? ", significant" : ""))
        }
        lines.append(promote.map { "promote: \($0)" } ?? "keep: \(variants.first?.name ?? "the current variant") (no significant gain)")
        return lines.joined(separator: "\n")
    }

    /// A self-contained HTML page: the variants, each field's accuracy per variant, the differences and the decision.
    public var html: String {
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        let fieldNames = Set(variants.flatMap { $0.fields.keys }).sorted()
        var rows = ""
        for v in variants {
            rows += "<tr><td>\(escape(v.name))</td><td>\(String(format: "%.1f%%", v.accuracy * 100))</td>"
                + "<td>\(String(format: "%.1f–%.1f", v.interval[0] * 100, v.interval[1] * 100))</td><td>\(v.correct)/\(v.compared)</td>"
                + "<td>\(v.inputTokens)/\(v.outputTokens)</td><td>\(String(format: "%.1f s", v.latencyP50MS / 1000))</td><td>\(v.invalid)</td></tr>\n"
        }
        var fieldRows = ""
        for field in fieldNames {
            fieldRows += "<tr><td>\(escape(field))</td>"
            for v in variants {
                let counts = v.fields[field] ?? [0, 0]
                let share = counts[1] == 0 ? 0 : Double(counts[0]) / Double(counts[1])
                fieldRows += "<td><div class=bar><span style=\"width:\(Int(share * 100))%\"></span></div>\(counts[0])/\(counts[1])</td>"
            }
            fieldRows += "</tr>\n"
        }
        let decision = promote.map { "Promote <b>\(escape($0))</b>: its gain is significant." }
            ?? "Keep <b>\(escape(variants.first?.name ?? ""))</b>: no variant's gain is significant."
        let differencesHTML = differences.map {
            String(format: "<li>%@: %+.1f points (95 %% CI %+.1f to %+.1f)%@</li>", escape($0.variant), $0.gain * 100, $0.interval[0] * 100,
                   $0.interval[1] * 100, $0.significant ? ", significant" : "")
        }.joined()
        return """
            <!doctype html><html lang=en><head><meta charset=utf-8><title>Flywheel: \(escape(documentType))</title><style>
            body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:960px;color:#1d2330}table{border-collapse:collapse;width:100%;margin:1rem 0}
            td,th{padding:.35rem .6rem;border-bottom:1px solid #e3e6ec;text-align:left}th{background:#f5f7fa}
            .bar{display:inline-block;width:90px;height:9px;background:#e3e6ec;border-radius:4px;margin-right:.5rem;vertical-align:middle}
            .bar span{display:block;height:9px;background:#2f6fdf;border-radius:4px}.decision{padding:.8rem 1rem;background:#eef4ff;border-radius:6px}
            </style></head><body><h1>Flywheel: \(escape(documentType))</h1>
            <p>\(variants.first?.documents ?? 0) held-out documents; \(trainExamples) labelled examples to draw from\(dataset.map { " (dataset \(escape($0)))" } ?? "").</p>
            <p class=decision>\(decision)</p><ul>\(differencesHTML)</ul>
            <table><tr><th>variant</th><th>field accuracy</th><th>95 % CI</th><th>correct</th><th>tokens in/out</th><th>p50</th><th>invalid</th></tr>
            \(rows)</table><h2>Per field</h2><table><tr><th>field</th>\(variants.map { "<th>\(escape($0.name))</th>" }.joined())</tr>
            \(fieldRows)</table></body></html>
            """
    }
}
