import CentaurCore
import CentaurGuardrails
import Foundation
import Yams

/// A configuration file that cannot be used, with the key and line at fault.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible, LocalizedError {
    public let source: String
    public let key: String?
    public let line: Int?
    public let reason: String

    public init(source: String, key: String?, line: Int? = nil, reason: String) {
        self.source = source; self.key = key; self.line = line; self.reason = reason
    }

    public var description: String {
        var location = source
        if let line { location += ":\(line)" }
        if let key { return "\(location): \(key): \(reason)" }
        return "\(location): \(reason)"
    }
    public var errorDescription: String? { description }
}

/// Reads `centaur.yaml`: substitutes `${VAR}` and `${VAR:-default}` from the environment (in the text,
/// before YAML parsing, so `{ api_key: ${KEY} }` works in flow mappings), and validates every key,
/// reporting the first problem with its key path and line. A variable that is not set makes only the
/// provider that uses it unusable, with a message naming the key and line.
public struct ConfigurationLoader: Sendable {
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// Loads `path`, or the embedded default when `path` is `nil` and `./centaur.yaml` does not exist.
    /// A path given explicitly must exist.
    public func load(path: String?) throws -> CentaurConfiguration {
        let candidate = path ?? "centaur.yaml"
        guard FileManager.default.fileExists(atPath: candidate) else {
            if path != nil {
                throw ConfigurationError(source: candidate, key: nil, line: nil, reason: "file not found; pass an existing file with --config, or leave it out to use the embedded default")
            }
            return .embeddedDefault
        }
        let text: String
        do {
            text = try String(contentsOfFile: candidate, encoding: .utf8)
        } catch {
            throw ConfigurationError(source: candidate, key: nil, line: nil, reason: "cannot read: \(error.localizedDescription)")
        }
        return try parse(text, source: candidate)
    }

    public func parse(_ text: String, source: String) throws -> CentaurConfiguration {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: substitute(text)) else {
                throw ConfigurationError(source: source, key: nil, line: nil, reason: "the file is empty; it needs providers, models and default_model")
            }
            root = node
        } catch let error as YamlError {
            throw ConfigurationError(source: source, key: nil, line: Self.line(of: error), reason: "not valid YAML: \(error)")
        }
        var reader = Reader(source: source, environment: environment)
        return try reader.configuration(root)
    }

    /// Marks an unset variable in the text; ``Reader`` turns it into a per-key problem.
    static let unsetMarker = "__centaur_unset__"

    /// Replaces `${NAME}` and `${NAME:-default}` in the text, quoting values that YAML would misread.
    func substitute(_ text: String) -> String {
        var output = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            let before = rest[..<start.lowerBound]
            output += before
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                output += rest[start.lowerBound...]
                return output
            }
            let expression = rest[start.upperBound..<end]
            let parts = expression.split(separator: ":-", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            let lineSoFar = output.split(separator: "\n", omittingEmptySubsequences: false).last ?? ""
            let insideDoubleQuotes = lineSoFar.filter { $0 == "\"" }.count % 2 == 1
            if let value = environment[name], !value.isEmpty {
                output += Self.yamlSafe(value, insideDoubleQuotes: insideDoubleQuotes)
            } else if parts.count == 2 {
                output += Self.yamlSafe(String(parts[1]), insideDoubleQuotes: insideDoubleQuotes)
            } else {
                output += "\(Self.unsetMarker)\(name)\(Self.unsetMarker)"
            }
            rest = rest[rest.index(after: end)...]
        }
        return output + rest
    }

    static func yamlSafe(_ value: String, insideDoubleQuotes: Bool) -> String {
        let plain = value.allSatisfy { $0.isLetter || $0.isNumber || "-_./:+=@~".contains($0) } && !value.hasPrefix("-")
        if plain { return value }
        let escaped = String(JSONValue.string(value).jsonString().dropFirst().dropLast())
        return insideDoubleQuotes ? escaped : "\"\(escaped)\""
    }

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return nil
        }
    }
}

private struct Reader {
    let source: String
    let environment: [String: String]
    var missing: [String] = []

    init(source: String, environment: [String: String]) {
        self.source = source
        self.environment = environment
    }

    func fail(_ key: String?, _ node: Node?, _ reason: String) -> ConfigurationError {
        ConfigurationError(source: source, key: key, line: node?.mark.map { $0.line }, reason: reason)
    }

    func mapping(_ node: Node, key: String) throws -> [(String, Node)] {
        guard case .mapping(let mapping) = node else {
            throw fail(key, node, "expected a mapping of keys to values")
        }
        var pairs: [(String, Node)] = []
        for (k, v) in mapping {
            guard let name = k.string else { throw fail(key, k, "keys must be strings") }
            pairs.append((name, v))
        }
        return pairs
    }

    func checkKeys(_ pairs: [(String, Node)], allowed: [String], key: String) throws {
        for (name, node) in pairs where !allowed.contains(name) {
            throw fail("\(key).\(name)", node, "unknown key; expected one of \(allowed.joined(separator: ", "))")
        }
    }

    /// A string value; an unset `${VAR}` in it is recorded against this key and line.
    mutating func string(_ node: Node, key: String) throws -> String {
        guard case .scalar(let scalar) = node else { throw fail(key, node, "expected a single value") }
        var text = scalar.string
        let marker = ConfigurationLoader.unsetMarker
        while let start = text.range(of: marker), let end = text.range(of: marker, range: start.upperBound..<text.endIndex) {
            let name = text[start.upperBound..<end.lowerBound]
            missing.append("\(key) (line \(node.mark?.line ?? 0)) needs environment variable \(name), which is not set")
            text.removeSubrange(start.lowerBound..<end.upperBound)
        }
        return text
    }

    /// `all`, `none`, or a list of Presidio type names.
    mutating func piiPolicy(_ node: Node, key: String) throws -> PIIPolicy {
        let known = PIIType.allCases.map(\.rawValue)
        if case .sequence(let items) = node {
            var types: Set<String> = []
            for item in items {
                let name = try string(item, key: key)
                guard known.contains(name) else { throw fail(key, item, "unknown type '\(name)'; expected \(known.joined(separator: ", "))") }
                types.insert(name)
            }
            return .only(types)
        }
        switch try string(node, key: key) {
        case "all": return .all
        case "none": return .none
        case let other: throw fail(key, node, "expected all, none or a list of types such as [EMAIL_ADDRESS, PERSON] (got '\(other)')")
        }
    }

    mutating func number(_ node: Node, key: String) throws -> Double {
        let text = try string(node, key: key)
        guard let value = Double(text) else { throw fail(key, node, "expected a number, got '\(text)'") }
        return value
    }

    /// `cache.semantic: { routes: [NAME…], threshold, embedding, ttl_s, capacity }`; routes are configured models or routes.
    mutating func semanticCache(_ node: Node, configuration: CentaurConfiguration) throws -> SemanticCacheSettings {
        let key = "cache.semantic"
        let pairs = try mapping(node, key: key)
        try checkKeys(pairs, allowed: ["routes", "threshold", "embedding", "ttl_s", "capacity", "match_literals"], key: key)
        let dict = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
        guard let routesNode = dict["routes"], case .sequence(let items) = routesNode, !items.isEmpty else {
            throw fail("\(key).routes", node, "needs 'routes': the models or routes whose answers may be served by meaning (opt-in)")
        }
        var settings = SemanticCacheSettings(routes: [])
        let names = configuration.models.map(\.name) + configuration.routes.map(\.name)
        for item in items {
            let name = try string(item, key: "\(key).routes")
            guard names.contains(name) else { throw fail("\(key).routes", item, "no model or route named '\(name)'; configured: \(names.joined(separator: ", "))") }
            settings.routes.insert(name)
        }
        if let node = dict["threshold"] {
            let value = try number(node, key: "\(key).threshold")
            guard value > 0, value <= 1 else { throw fail("\(key).threshold", node, "expected a cosine similarity above 0 and at most 1") }
            settings.threshold = value
        }
        if let node = dict["embedding"] {
            let name = try string(node, key: "\(key).embedding")
            guard configuration.embeddingModel(named: name) != nil else {
                throw fail("\(key).embedding", node, "no embedding model named '\(name)'; configured: \(configuration.allEmbeddingModels.map(\.name).joined(separator: ", "))")
            }
            settings.embedding = name
        }
        if let node = dict["match_literals"] {
            guard let value = Bool(try string(node, key: "\(key).match_literals")) else { throw fail("\(key).match_literals", node, "expected true or false") }
            settings.matchLiterals = value
        }
        if let node = dict["ttl_s"] {
            let value = try number(node, key: "\(key).ttl_s")
            guard value > 0 else { throw fail("\(key).ttl_s", node, "must be positive") }
            settings.ttlSeconds = value
        }
        if let node = dict["capacity"] {
            let value = try number(node, key: "\(key).capacity")
            guard value >= 1 else { throw fail("\(key).capacity", node, "must be at least 1") }
            settings.capacity = Int(value)
        }
        return settings
    }

    /// `embeddings: { NAME: { provider, id, price: { input }, dimensions, pii } }`.
    mutating func embeddingModels(_ node: Node, providers: [String: ProviderConfiguration], chatModels: [String]) throws -> [EmbeddingModelConfiguration] {
        var result: [EmbeddingModelConfiguration] = []
        for (name, entry) in try mapping(node, key: "embeddings") {
            let key = "embeddings.\(name)"
            let pairs = try mapping(entry, key: key)
            try checkKeys(pairs, allowed: ["provider", "id", "price", "pii", "dimensions"], key: key)
            let dict = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
            if chatModels.contains(name) { throw fail(key, entry, "an embedding model cannot have the name of a chat model") }
            guard let providerNode = dict["provider"] else { throw fail(key, entry, "missing 'provider' (a configured provider, or native)") }
            let providerName = try string(providerNode, key: "\(key).provider")
            guard let idNode = dict["id"] else { throw fail(key, entry, "missing 'id' (the upstream model id)") }
            let id = try string(idNode, key: "\(key).id")
            if providerName == EmbeddingModelConfiguration.native {
                guard id == EmbeddingModelConfiguration.nativeMiniLM.id else {
                    throw fail("\(key).id", idNode, "the native provider runs \(EmbeddingModelConfiguration.nativeMiniLM.id) only")
                }
            } else {
                guard let provider = providers[providerName] else {
                    throw fail("\(key).provider", providerNode,
                               "no provider named '\(providerName)'; configured: \((providers.keys.sorted() + [EmbeddingModelConfiguration.native]).joined(separator: ", "))")
                }
                guard [.openai, .bedrock].contains(provider.kind) else {
                    throw fail("\(key).provider", providerNode, "a \(provider.kind.rawValue) provider serves no embeddings; use an openai or bedrock provider, or native")
                }
            }
            var model = EmbeddingModelConfiguration(name: name, provider: providerName, id: id, line: entry.mark?.line)
            if providerName == EmbeddingModelConfiguration.native { model.inputPrice = 0; model.dimensions = 384 }
            model.pii = try dict["pii"].map { try piiPolicy($0, key: "\(key).pii") }
            if let dimensions = dict["dimensions"] {
                let value = try number(dimensions, key: "\(key).dimensions")
                guard value >= 1, value == value.rounded() else { throw fail("\(key).dimensions", dimensions, "expected a whole number of at least 1") }
                model.dimensions = Int(value)
            }
            if let priceNode = dict["price"] {
                let pricePairs = try mapping(priceNode, key: "\(key).price")
                try checkKeys(pricePairs, allowed: ["input"], key: "\(key).price")
                guard let input = Dictionary(pricePairs, uniquingKeysWith: { first, _ in first })["input"] else {
                    throw fail("\(key).price", priceNode, "needs 'input' (USD per million tokens)")
                }
                model.inputPrice = try number(input, key: "\(key).price.input")
            }
            result.append(model)
        }
        return result
    }

    /// `functions: { NAME: { variants: { VARIANT: { model, weight, system } } } }`: each variant a configured model or
    /// route, weights not negative and not all zero.
    mutating func functions(_ node: Node, configuration: CentaurConfiguration) throws -> [String: FunctionConfiguration] {
        let targets = configuration.models.map(\.name) + configuration.routes.map(\.name)
        var functions: [String: FunctionConfiguration] = [:]
        for (name, entry) in try mapping(node, key: "functions") {
            let key = "functions.\(name)"
            guard !targets.contains(name) else { throw fail(key, entry, "a function cannot have the name of a model or route") }
            let pairs = try mapping(entry, key: key)
            try checkKeys(pairs, allowed: ["variants"], key: key)
            guard let variantsNode = Dictionary(pairs, uniquingKeysWith: { a, _ in a })["variants"] else {
                throw fail(key, entry, "needs 'variants': { NAME: { model, weight } }")
            }
            var variants: [FunctionConfiguration.Variant] = []
            for (variantName, variantNode) in try mapping(variantsNode, key: "\(key).variants") {
                let variantKey = "\(key).variants.\(variantName)"
                let fields = try mapping(variantNode, key: variantKey)
                try checkKeys(fields, allowed: ["model", "weight", "system", "few_shot"], key: variantKey)
                let dict = Dictionary(fields, uniquingKeysWith: { a, _ in a })
                guard let modelNode = dict["model"] else { throw fail(variantKey, variantNode, "missing 'model'") }
                let model = try string(modelNode, key: "\(variantKey).model")
                guard targets.contains(model) else {
                    throw fail("\(variantKey).model", modelNode, "no model or route named '\(model)'; configured: \(targets.joined(separator: ", "))")
                }
                let weight = try dict["weight"].map { try number($0, key: "\(variantKey).weight") } ?? 1
                guard weight >= 0, weight.isFinite else { throw fail("\(variantKey).weight", variantNode, "must be a number ≥ 0") }
                let system = try dict["system"].map { try string($0, key: "\(variantKey).system") }
                let fewShot = try dict["few_shot"].map { try number($0, key: "\(variantKey).few_shot") } ?? 0
                guard fewShot >= 0, fewShot <= 20, fewShot == fewShot.rounded() else {
                    throw fail("\(variantKey).few_shot", variantNode, "is a whole number of labelled examples from 0 to 20")
                }
                variants.append(.init(name: variantName, model: model, weight: weight, system: system, fewShot: Int(fewShot)))
            }
            guard variants.contains(where: { $0.weight > 0 }) else {
                throw fail("\(key).variants", variantsNode, "needs at least one variant with a weight above 0")
            }
            functions[name] = FunctionConfiguration(name: name, variants: variants)
        }
        return functions
    }

    mutating func configuration(_ root: Node) throws -> CentaurConfiguration {
        let top = try mapping(root, key: "(top level)")
        try checkKeys(top, allowed: ["providers", "models", "default_model", "routes", "routing", "traces", "cache", "budgets", "guardrails", "database", "embeddings",
                                    "functions"],
                      key: "(top level)")
        let topDict = Dictionary(top, uniquingKeysWith: { first, _ in first })
        guard let providersNode = topDict["providers"] else { throw fail("providers", root, "missing; list at least one provider") }
        guard let modelsNode = topDict["models"] else { throw fail("models", root, "missing; map at least one model name to a provider") }

        var providers: [String: ProviderConfiguration] = [:]
        for (name, node) in try mapping(providersNode, key: "providers") {
            providers[name] = try provider(name: name, node: node)
        }
        if providers.isEmpty { throw fail("providers", providersNode, "no providers are configured") }

        var models: [ModelConfiguration] = []
        for (name, node) in try mapping(modelsNode, key: "models") {
            let key = "models.\(name)"
            let pairs = try mapping(node, key: key)
            try checkKeys(pairs, allowed: ["provider", "id", "price", "pii"], key: key)
            let dict = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
            guard let providerNode = dict["provider"] else { throw fail(key, node, "missing 'provider'") }
            let providerName = try string(providerNode, key: "\(key).provider")
            guard providers[providerName] != nil else {
                throw fail("\(key).provider", providerNode, "no provider named '\(providerName)'; configured: \(providers.keys.sorted().joined(separator: ", "))")
            }
            guard let idNode = dict["id"] else { throw fail(key, node, "missing 'id' (the upstream model id)") }
            var model = ModelConfiguration(name: name, provider: providerName, id: try string(idNode, key: "\(key).id"), line: node.mark?.line)
            model.pii = try dict["pii"].map { try piiPolicy($0, key: "\(key).pii") }
            if let priceNode = dict["price"] {
                let pricePairs = try mapping(priceNode, key: "\(key).price")
                try checkKeys(pricePairs, allowed: ["input", "output", "cache_read", "cache_write"], key: "\(key).price")
                let p = Dictionary(pricePairs, uniquingKeysWith: { first, _ in first })
                guard let input = p["input"], let output = p["output"] else {
                    throw fail("\(key).price", priceNode, "needs both 'input' and 'output' (USD per million tokens)")
                }
                model.price = ModelPrice(
                    input: try number(input, key: "\(key).price.input"), output: try number(output, key: "\(key).price.output"),
                    cacheRead: try p["cache_read"].map { try number($0, key: "\(key).price.cache_read") },
                    cacheWrite: try p["cache_write"].map { try number($0, key: "\(key).price.cache_write") })
            }
            models.append(model)
        }
        if models.isEmpty { throw fail("models", modelsNode, "no models are configured") }

        let defaultModel: String
        if let node = topDict["default_model"] {
            defaultModel = try string(node, key: "default_model")
            guard models.contains(where: { $0.name == defaultModel }) else {
                throw fail("default_model", node, "no model named '\(defaultModel)'; configured: \(models.map(\.name).joined(separator: ", "))")
            }
        } else {
            defaultModel = models[0].name
        }
        var configuration = CentaurConfiguration(providers: providers, models: models, defaultModel: defaultModel, source: source)
        if let node = topDict["database"] {
            let url = try string(node, key: "database")
            guard url.hasPrefix("sqlite:") || url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
                throw fail("database", node, "expected sqlite:PATH or postgres://USER@HOST:PORT/DB, got '\(url)'")
            }
            configuration.database = url
        }
        if let node = topDict["embeddings"] {
            configuration.embeddingModels = try embeddingModels(node, providers: providers, chatModels: models.map(\.name))
        }
        if let routesNode = topDict["routes"] {
            for (name, node) in try mapping(routesNode, key: "routes") {
                let key = "routes.\(name)"
                if models.contains(where: { $0.name == name }) {
                    throw fail(key, node, "a route cannot have the name of a model")
                }
                let pairs = try mapping(node, key: key)
                try checkKeys(pairs, allowed: ["targets"], key: key)
                guard let targetsNode = Dictionary(pairs, uniquingKeysWith: { a, _ in a })["targets"], case .sequence(let items) = targetsNode, !items.isEmpty else {
                    throw fail(key, node, "needs 'targets': a list of model names or { model, weight }")
                }
                var targets: [Route.Target] = []
                for (index, item) in items.enumerated() {
                    let itemKey = "\(key).targets[\(index)]"
                    var target: Route.Target
                    if case .scalar = item {
                        target = Route.Target(model: try string(item, key: itemKey))
                    } else {
                        let fields = try mapping(item, key: itemKey)
                        try checkKeys(fields, allowed: ["model", "weight"], key: itemKey)
                        let dict = Dictionary(fields, uniquingKeysWith: { a, _ in a })
                        guard let modelNode = dict["model"] else { throw fail(itemKey, item, "missing 'model'") }
                        target = Route.Target(model: try string(modelNode, key: "\(itemKey).model"), weight: try dict["weight"].map { try number($0, key: "\(itemKey).weight") })
                    }
                    guard models.contains(where: { $0.name == target.model }) else {
                        throw fail(itemKey, item, "no model named '\(target.model)'; configured: \(models.map(\.name).joined(separator: ", "))")
                    }
                    targets.append(target)
                }
                configuration.routes.append(Route(name: name, targets: targets))
            }
        }
        if let node = topDict["functions"] {
            configuration.functions = try functions(node, configuration: configuration)
        }
        if let routingNode = topDict["routing"] {
            let pairs = try mapping(routingNode, key: "routing")
            let allowed = ["attempts_per_target", "max_attempts", "base_backoff_ms", "max_backoff_ms", "max_retry_after_s", "breaker_threshold", "breaker_cooldown_s"]
            try checkKeys(pairs, allowed: allowed, key: "routing")
            var policy = RoutingPolicy()
            for (name, node) in pairs {
                let value = try number(node, key: "routing.\(name)")
                guard value >= 0 else { throw fail("routing.\(name)", node, "must not be negative") }
                switch name {
                case "attempts_per_target": policy.attemptsPerTarget = max(1, Int(value))
                case "max_attempts": policy.maxAttempts = max(1, Int(value))
                case "base_backoff_ms": policy.baseBackoff = .milliseconds(Int64(value))
                case "max_backoff_ms": policy.maxBackoff = .milliseconds(Int64(value))
                case "max_retry_after_s": policy.maxRetryAfter = .milliseconds(Int64(value * 1000))
                case "breaker_threshold": policy.breakerThreshold = max(1, Int(value))
                default: policy.breakerCooldown = .milliseconds(Int64(value * 1000))
                }
            }
            configuration.routing = policy
        }
        if let cacheNode = topDict["cache"] {
            let pairs = try mapping(cacheNode, key: "cache")
            try checkKeys(pairs, allowed: ["enabled", "ttl_s", "capacity", "semantic"], key: "cache")
            for (name, node) in pairs {
                switch name {
                case "semantic":
                    configuration.cache.semantic = try semanticCache(node, configuration: configuration)
                case "enabled":
                    let text = try string(node, key: "cache.enabled")
                    guard let value = Bool(text) else { throw fail("cache.enabled", node, "expected true or false") }
                    configuration.cache.enabled = value
                case "ttl_s":
                    let value = try number(node, key: "cache.ttl_s")
                    guard value > 0 else { throw fail("cache.ttl_s", node, "must be positive") }
                    configuration.cache.ttlSeconds = value
                default:
                    let value = try number(node, key: "cache.capacity")
                    guard value >= 1 else { throw fail("cache.capacity", node, "must be at least 1") }
                    configuration.cache.capacity = Int(value)
                }
            }
        }
        if let guardNode = topDict["guardrails"] {
            let pairs = try mapping(guardNode, key: "guardrails")
            try checkKeys(pairs, allowed: ["deny", "max_input_chars", "max_output_chars", "pii_leak", "injection", "schema_repair"], key: "guardrails")
            var settings = GuardrailSettings()
            for (name, node) in pairs {
                let key = "guardrails.\(name)"
                switch name {
                case "deny":
                    guard case .sequence(let items) = node else { throw fail(key, node, "expected a list of terms") }
                    settings.deny = try items.map { try string($0, key: key) }.filter { !$0.isEmpty }
                case "max_input_chars", "max_output_chars":
                    let value = try number(node, key: key)
                    guard value >= 1 else { throw fail(key, node, "must be at least 1") }
                    if name == "max_input_chars" { settings.maxInputCharacters = Int(value) } else { settings.maxOutputCharacters = Int(value) }
                case "pii_leak", "injection":
                    let text = try string(node, key: key)
                    guard let action = GuardrailSettings.Action(rawValue: text) else { throw fail(key, node, "expected off, flag or block") }
                    if name == "pii_leak" { settings.piiLeak = action } else { settings.injection = action }
                default:
                    guard let value = Bool(try string(node, key: key)) else { throw fail(key, node, "expected true or false") }
                    settings.schemaRepair = value
                }
            }
            configuration.guardrails = settings
        }
        if let budgetsNode = topDict["budgets"] {
            let pairs = try mapping(budgetsNode, key: "budgets")
            try checkKeys(pairs, allowed: ["teams", "when_store_down"], key: "budgets")
            let budgetFields = Dictionary(pairs, uniquingKeysWith: { a, _ in a })
            if let modeNode = budgetFields["when_store_down"] {
                guard let mode = BudgetFailureMode(rawValue: try string(modeNode, key: "budgets.when_store_down")) else {
                    throw fail("budgets.when_store_down", modeNode, "expected refuse (the default: a 503 rather than an unchecked request) or admit")
                }
                configuration.budgetsWhenStoreDown = mode
            }
            if let teamsNode = budgetFields["teams"] {
                for (team, node) in try mapping(teamsNode, key: "budgets.teams") {
                    let key = "budgets.teams.\(team)"
                    let fields = try mapping(node, key: key)
                    try checkKeys(fields, allowed: ["rpm", "tpm", "monthly_usd"], key: key)
                    var limits = Limits()
                    for (name, valueNode) in fields {
                        let value = try number(valueNode, key: "\(key).\(name)")
                        guard value > 0 else { throw fail("\(key).\(name)", valueNode, "must be positive") }
                        switch name {
                        case "rpm": limits.rpm = Int(value)
                        case "tpm": limits.tpm = Int(value)
                        default: limits.monthlyUSD = value
                        }
                    }
                    configuration.teamLimits[team] = limits
                }
            }
        }
        if let tracesNode = topDict["traces"] {
            let pairs = try mapping(tracesNode, key: "traces")
            try checkKeys(pairs, allowed: ["capture", "retention_days", "durable"], key: "traces")
            if let durableNode = Dictionary(pairs, uniquingKeysWith: { a, _ in a })["durable"] {
                guard let durable = Bool(try string(durableNode, key: "traces.durable")) else {
                    throw fail("traces.durable", durableNode, "expected true (an answer waits for its trace to be stored) or false")
                }
                configuration.tracesDurable = durable
            }
            if let daysNode = Dictionary(pairs, uniquingKeysWith: { a, _ in a })["retention_days"] {
                let days = try number(daysNode, key: "traces.retention_days")
                guard days >= 1, days == days.rounded() else { throw fail("traces.retention_days", daysNode, "expected a whole number of days, 1 or more") }
                configuration.traceRetentionDays = Int(days)
            }
            if let captureNode = Dictionary(pairs, uniquingKeysWith: { a, _ in a })["capture"] {
                let text = try string(captureNode, key: "traces.capture")
                guard let capture = BodyCapture(rawValue: text) else {
                    throw fail("traces.capture", captureNode, "expected none or full")
                }
                configuration.capture = capture
            }
        }
        return configuration
    }

    mutating func provider(name: String, node: Node) throws -> ProviderConfiguration {
        let key = "providers.\(name)"
        let pairs = try mapping(node, key: key)
        let dict = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
        guard let kindNode = dict["kind"] else {
            throw fail(key, node, "missing 'kind' (one of \(ProviderConfiguration.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let kindText = try string(kindNode, key: "\(key).kind")
        guard let kind = ProviderConfiguration.Kind(rawValue: kindText) else {
            throw fail("\(key).kind", kindNode, "unknown kind '\(kindText)'; expected one of \(ProviderConfiguration.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let allowed: [String] =
            switch kind {
            case .anthropic: ["kind", "api_key", "base_url", "timeout", "pii"]
            case .bedrock: ["kind", "region", "endpoint", "timeout", "pii"]
            case .openai: ["kind", "base_url", "api_key", "flavor", "deployment", "api_version", "timeout", "pii"]
            case .local: ["kind", "home", "port", "base_url", "timeout", "pii"]
            case .replay: ["kind", "cassette", "mode", "record_from", "pii"]
            }
        try checkKeys(pairs, allowed: allowed, key: key)
        let missingBefore = missing.count
        func text(_ name: String) throws -> String? { try dict[name].map { try string($0, key: "\(key).\(name)") } }
        let settings: ProviderSettings
        switch kind {
        case .anthropic:
            settings = .anthropic(.init(baseURL: try text("base_url"), apiKey: try text("api_key")))
        case .bedrock:
            settings = .bedrock(.init(region: try text("region"), endpoint: try text("endpoint")))
        case .openai:
            guard let baseURL = try text("base_url") else { throw fail(key, node, "missing 'base_url' (for example http://127.0.0.1:8000/v1)") }
            var flavor: ProviderSettings.OpenAI.Flavor?
            switch try text("flavor") {
            case nil: flavor = nil
            case "openai": flavor = .openai
            case "compatible": flavor = .compatible
            case "llama_cpp": flavor = .llamaCpp
            case "azure":
                guard let deployment = try text("deployment"), let apiVersion = try text("api_version") else {
                    throw fail(key, node, "the azure flavor needs 'deployment' and 'api_version'")
                }
                flavor = .azure(deployment: deployment, apiVersion: apiVersion)
            case let other?:
                throw fail("\(key).flavor", dict["flavor"], "unknown flavor '\(other)'; expected openai, azure, compatible or llama_cpp")
            }
            settings = .openai(.init(baseURL: baseURL, apiKey: try text("api_key"), flavor: flavor))
        case .local:
            var port: Int?
            if let portNode = dict["port"] {
                let number = try number(portNode, key: "\(key).port")
                guard number >= 0, number < 65536, number.rounded() == number else { throw fail("\(key).port", portNode, "expected a port number from 0 to 65535") }
                port = Int(number)
            }
            settings = .local(.init(home: try text("home"), port: port, baseURL: try text("base_url")))
        case .replay:
            guard let cassette = try text("cassette") else { throw fail(key, node, "missing 'cassette' (a JSONL file of recordings)") }
            let mode: ProviderSettings.Replay.Mode
            switch try text("mode") {
            case nil, "replay": mode = .replay
            case "record":
                guard let source = try text("record_from") else {
                    throw fail(key, node, "record mode needs record_from: naming a configured, non-replay model")
                }
                mode = .record(from: source)
            case let other?: throw fail("\(key).mode", dict["mode"], "unknown mode '\(other)'; expected replay or record")
            }
            settings = .replay(.init(cassette: cassette, mode: mode))
        }
        var provider = ProviderConfiguration(name: name, settings: settings)
        provider.line = node.mark?.line
        provider.timeoutSeconds = try dict["timeout"].map { try number($0, key: "\(key).timeout") }
        provider.pii = try dict["pii"].map { try piiPolicy($0, key: "\(key).pii") }
        provider.missingEnvironment = Array(missing[missingBefore...])
        return provider
    }
}
