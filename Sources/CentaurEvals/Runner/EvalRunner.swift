import CentaurCore
import CentaurExtraction
import CentaurStore
import Crypto
import Foundation
import Synchronization

/// One case (test × prompt × provider × repeat) after it ran.
public struct CaseResult: Sendable, Hashable, Codable {
    public var caseID: String
    public var testIndex: Int
    public var description: String?
    public var promptLabel: String
    public var provider: String
    public var providerID: String
    public var repeatIndex: Int
    public var vars: [String: JSONValue]
    public var prompt: String
    public var output: String
    public var success: Bool
    public var score: Double
    public var assertions: [AssertionResult]
    /// The answer's cost plus any grading cost.
    public var costUSD: Double?
    public var latencyMS: Double
    public var inputTokens: Int
    public var outputTokens: Int
    public var error: String?
    /// The answer came from the result cache (the provider was not called).
    public var cached: Bool

    enum CodingKeys: String, CodingKey {
        case caseID = "case_id", testIndex = "test_index", description, promptLabel = "prompt_label", provider
        case providerID = "provider_id", repeatIndex = "repeat", vars, prompt, output, success, score, assertions
        case costUSD = "cost_usd", latencyMS = "latency_ms", inputTokens = "input_tokens", outputTokens = "output_tokens", error, cached
    }
}

/// A finished (or cancelled) run.
public struct EvalRun: Sendable {
    public var id: String
    public var suite: String
    public var description: String
    public var startedAt: Date
    public var endedAt: Date
    public var status: EvalRunStatus
    public var results: [CaseResult]

    public init(id: String, suite: String, description: String, startedAt: Date, endedAt: Date, status: EvalRunStatus, results: [CaseResult]) {
        self.id = id; self.suite = suite; self.description = description; self.startedAt = startedAt; self.endedAt = endedAt
        self.status = status; self.results = results
    }
}

/// Runs a suite: every test × prompt × provider × repeat, with bounded concurrency per provider and overall,
/// retries (honouring rate limits' retry-after), a result cache so an unchanged case is not asked again, results
/// stored as they finish (so a run can resume), and cancellation that keeps what finished.
public struct EvalRunner: Sendable {
    /// Providers by the id a suite names them with.
    public var providers: [String: any EvalProvider]
    /// Grading providers for llm-rubric by id; `defaultGrader` when an assertion names none.
    public var graders: [String: any EvalProvider] = [:]
    public var defaultGrader: String?
    public var concurrencyPerProvider = 8
    public var maxConcurrency = 32
    /// Retries of a provider call that may succeed later: three attempts, 250 ms then 500 ms, a rate limit's
    /// `retry-after` honoured up to a minute.
    public var retry = RetryPolicy(maxAttempts: 3, initial: .milliseconds(250), maximum: .seconds(60), maximumRetryAfter: .seconds(60))
    public var store: (any EvalStore)?
    public var useCache = true
    public var progress: @Sendable (_ done: Int, _ total: Int) -> Void = { _, _ in }
    /// The clock a run's start and end are read from, and the source of new run ids (tests fix both).
    public var now: @Sendable () -> Date = Date.init
    public var newRunID: @Sendable () -> String = { "eval-" + UUID().uuidString.lowercased().prefix(8) }

    public init(providers: [String: any EvalProvider], store: (any EvalStore)? = nil) {
        self.providers = providers
        self.store = store
    }

    struct PlannedCase: Sendable {
        var id: String
        var testIndex: Int
        var test: EvalSuite.TestCase
        var prompt: EvalSuite.Prompt
        var provider: EvalSuite.ProviderSpec
        var repeatIndex: Int
    }

    func plan(_ suite: EvalSuite) -> [PlannedCase] {
        var cases: [PlannedCase] = []
        for (testIndex, test) in suite.tests.enumerated() {
            for (promptIndex, prompt) in suite.prompts.enumerated() {
                for (providerIndex, provider) in suite.providers.enumerated() {
                    for r in 0..<(test.repeatCount ?? suite.repeatCount) {
                        cases.append(PlannedCase(id: "t\(testIndex)-p\(promptIndex)-m\(providerIndex)-r\(r)", testIndex: testIndex, test: test,
                                                 prompt: prompt, provider: provider, repeatIndex: r))
                    }
                }
            }
        }
        return cases
    }

    /// Runs the suite. With `resume`, cases of run `runID` already stored are kept and not run again.
    public func run(_ suite: EvalSuite, suitePath: String, runID: String? = nil, resume: Bool = false) async throws -> EvalRun {
        let id = runID ?? newRunID()
        let started = now()
        for spec in suite.providers where providers[spec.id] == nil {
            throw EvalSuiteError("no provider '\(spec.id)': use openai:chat:MODEL, anthropic:messages:MODEL, centaur:ALIAS, centaur:extract or echo")
        }
        let cases = plan(suite)
        var done: [String: CaseResult] = [:]
        if resume, let store {
            for record in try await store.results(runID: id) {
                if let result = try? JSONDecoder().decode(CaseResult.self, from: Data(record.detail.utf8)) { done[result.caseID] = result }
            }
        }
        try await store?.saveRun(EvalRunRecord(id: id, suite: suitePath, description: suite.description, startedAt: started))
        let pending = cases.filter { done[$0.id] == nil }
        let total = cases.count
        let collected = Locked<[CaseResult]>(Array(done.values))
        let buffer = Locked<[CaseResult]>([])
        let counter = Locked(done.count)
        progress(done.count, total)

        let documents = DocumentCache()
        let global = AsyncSemaphore(maxConcurrency)
        var cancelled = false
        // Per provider: its own workers pulling its own queue; all of them share the global limit.
        let queues = Dictionary(grouping: pending, by: { $0.provider.id })
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (providerID, queue) in queues {
                    let next = Locked(0)
                    let workers = min(concurrencyPerProvider, queue.count)
                    for _ in 0..<workers {
                        group.addTask {
                            while true {
                                try Task.checkCancellation()
                                let index = next.withLock { value -> Int in defer { value += 1 }; return value }
                                guard index < queue.count else { return }
                                try await global.acquire()
                                let result = await runCase(queue[index], suite: suite, provider: providers[providerID]!, documents: documents)
                                await global.release()
                                collected.withLock { $0.append(result) }
                                let flush: [CaseResult]? = buffer.withLock { items in
                                    items.append(result)
                                    guard items.count >= 100 else { return nil }
                                    defer { items = [] }
                                    return items
                                }
                                if let flush { try await store(flush, runID: id) }
                                let count = counter.withLock { value -> Int in value += 1; return value }
                                progress(count, total)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        } catch is CancellationError {
            cancelled = true
        }
        let rest = buffer.withLock { items -> [CaseResult] in defer { items = [] }; return items }
        // Store what finished even when cancelled (unstructured, so a cancelled parent does not stop the write).
        try await Task { try await store(rest, runID: id) }.value
        let order = Dictionary(uniqueKeysWithValues: cases.enumerated().map { ($1.id, $0) })
        let results = collected.withLock { $0 }.sorted { (order[$0.caseID] ?? 0) < (order[$1.caseID] ?? 0) }
        let run = EvalRun(id: id, suite: suitePath, description: suite.description, startedAt: started, endedAt: now(),
                          status: cancelled ? .cancelled : .completed, results: results)
        let summary = EvalSummary.perProvider(results)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try await Task {
            try await store?.saveRun(EvalRunRecord(id: id, suite: suitePath, description: suite.description, startedAt: started, endedAt: run.endedAt,
                                                   status: run.status, summary: String(decoding: try encoder.encode(summary), as: UTF8.self)))
        }.value
        return run
    }

    func store(_ results: [CaseResult], runID: String) async throws {
        guard let store, !results.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try await store.insertResults(try results.map { result in
            EvalResultRecord(runID: runID, caseID: result.caseID, provider: result.provider, success: result.success, score: result.score,
                             costUSD: result.costUSD, latencyMS: result.latencyMS, error: result.error,
                             detail: String(decoding: try encoder.encode(result), as: UTF8.self))
        })
    }

    func runCase(_ planned: PlannedCase, suite: EvalSuite, provider: any EvalProvider, documents: DocumentCache) async -> CaseResult {
        var result = CaseResult(caseID: planned.id, testIndex: planned.testIndex, description: planned.test.description, promptLabel: planned.prompt.label,
                                provider: planned.provider.label, providerID: planned.provider.id, repeatIndex: planned.repeatIndex, vars: planned.test.vars,
                                prompt: "", output: "", success: false, score: 0, assertions: [], costUSD: nil, latencyMS: 0, inputTokens: 0,
                                outputTokens: 0, error: nil, cached: false)
        do {
            let (vars, files) = try documents.resolve(planned.test.vars, base: suite.baseDirectory)
            result.vars = vars
            let prompt = Template.render(planned.prompt.template, vars: vars)
            result.prompt = prompt
            let documentType = try suite.documentType.map { try DocumentType.named($0) }
            let request = EvalRequest(prompt: prompt, documents: files, schema: suite.schema, documentType: documentType, config: planned.provider.config)
            let key = cacheKey(planned, request: request)
            var answer: EvalAnswer?
            if useCache, let store, let cached = try? await store.cachedAnswer(key: key) {
                answer = try? JSONDecoder().decode(EvalAnswer.self, from: Data(cached.utf8))
                result.cached = answer != nil
            }
            if answer == nil {
                let fresh = try await call(provider, request)
                answer = fresh
                if useCache, let store {
                    let encoded = String(decoding: try JSONEncoder().encode(fresh), as: UTF8.self)
                    try? await store.cacheAnswers([(key, encoded)])
                }
            }
            let got = answer!
            result.output = got.output
            result.latencyMS = got.latencyMS
            result.inputTokens = got.inputTokens
            result.outputTokens = got.outputTokens
            result.costUSD = got.costUSD
            let context = AssertionContext(output: got.output, vars: vars, prompt: prompt, costUSD: got.costUSD, latencyMS: got.latencyMS,
                                           usage: Usage(inputTokens: got.inputTokens, outputTokens: got.outputTokens), grade: grader())
            var assertions: [AssertionResult] = []
            for spec in planned.test.assertions { assertions.append(await AssertionRegistry.evaluate(spec, context)) }
            result.assertions = assertions
            let grading = assertions.compactMap(\.gradingCostUSD).reduce(0, +)
            if grading > 0 { result.costUSD = (result.costUSD ?? 0) + grading }
            (result.success, result.score) = TestVerdict.combine(assertions, threshold: planned.test.threshold)
        } catch {
            result.error = String(describing: error)
            result.success = false
        }
        return result
    }

    func grader() -> (@Sendable (String?, String) async throws -> (text: String, costUSD: Double?))? {
        let graders = graders, fallback = defaultGrader, providers = providers
        guard !graders.isEmpty || fallback != nil else { return nil }
        return { name, prompt in
            let id = name ?? fallback ?? ""
            guard let grader = graders[id] ?? providers[id] else { throw EvalSuiteError("no grading provider '\(id)'") }
            let answer = try await grader.answer(EvalRequest(prompt: prompt, config: ["temperature": 0]))
            return (answer.output, answer.costUSD)
        }
    }

    /// Calls a provider, retrying what may succeed later (rate limits wait for their retry-after).
    func call(_ provider: any EvalProvider, _ request: EvalRequest) async throws -> EvalAnswer {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await provider.answer(request)
            } catch let error as ModelError where error.kind.isRetryable {
                guard let wait = retry.delay(afterAttempt: attempt, retryAfter: error.retryAfter, fraction: 0) else { throw error }
                try await Task.sleep(for: wait)
            }
        }
    }

    func cacheKey(_ planned: PlannedCase, request: EvalRequest) -> String {
        var hasher = SHA256()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for part in [planned.provider.id, JSONValue.object(request.config).jsonString(), request.prompt, request.schema?.jsonString() ?? "",
                     request.documentType?.id ?? "", "r\(planned.repeatIndex)"] {
            hasher.update(data: Data("\(part.utf8.count):\(part)".utf8))
        }
        for document in request.documents { hasher.update(data: SHA256.hash(data: document.data).withUnsafeBytes { Data($0) }) }
        return hasher.finalize().hexString
    }
}

/// Loads document and JSON variables once per file: `file://x.png|jpg|pdf` become documents (the variable
/// renders as the file's name), `file://x.json#key` the JSON (or one key of it), `file://x.txt` the text.
final class DocumentCache: Sendable {
    private let documents = Mutex<[String: Document]>([:])
    private let json = Mutex<[String: JSONValue]>([:])

    func resolve(_ vars: [String: JSONValue], base: URL) throws -> ([String: JSONValue], [Document]) {
        var resolved = vars
        var files: [Document] = []
        for (name, value) in vars.sorted(by: { $0.key < $1.key }) {
            guard let reference = value.stringValue, reference.hasPrefix("file://") else { continue }
            let (pathPart, fragment) = Self.split(reference)
            let url = EvalSuite.resolve(pathPart, base: base)
            switch url.pathExtension.lowercased() {
            case "png", "jpg", "jpeg", "pdf":
                let document = try documents.withLock { cache -> Document in
                    if let cached = cache[url.path] { return cached }
                    let loaded = try Document(contentsOf: url)
                    cache[url.path] = loaded
                    return loaded
                }
                files.append(document)
                resolved[name] = .string(document.name)
            case "json":
                let whole = try json.withLock { cache -> JSONValue in
                    if let cached = cache[url.path] { return cached }
                    guard let data = FileManager.default.contents(atPath: url.path) else { throw EvalSuiteError("cannot read \(url.path)") }
                    let parsed = try JSONValue(parsing: data)
                    cache[url.path] = parsed
                    return parsed
                }
                resolved[name] = fragment.map { whole[$0] ?? .null } ?? whole
            default:
                // A file without a known extension (a content-addressed blob) is a document when its bytes say so.
                if let document = try? Document(contentsOf: url) {
                    files.append(document)
                    resolved[name] = .string(document.name)
                    continue
                }
                guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw EvalSuiteError("cannot read \(url.path)") }
                resolved[name] = .string(text)
            }
        }
        return (resolved, files)
    }

    static func split(_ reference: String) -> (String, String?) {
        guard let hash = reference.lastIndex(of: "#") else { return (reference, nil) }
        return (String(reference[..<hash]), String(reference[reference.index(after: hash)...]))
    }
}

/// A counting semaphore for async code.
actor AsyncSemaphore {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { available = max(1, count) }

    func acquire() async throws {
        try Task.checkCancellation()
        if available > 0 { available -= 1; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { available += 1 } else { waiters.removeFirst().resume() }
    }
}

/// A value behind a lock, shareable between tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T>(_ body: (inout sending Value) throws -> sending T) rethrows -> T { try mutex.withLock(body) }
}
