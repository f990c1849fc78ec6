import CentaurCore
import Crypto
import Foundation
import Synchronization

/// How a finding is replaced.
public enum RedactionMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// `*` for every character.
    case mask
    /// The type in angle brackets: `<US_SSN>`.
    case type
    /// `<US_SSN:3f2a9c1e>`: the first 8 hex digits of a keyed SHA-256, stable for one key.
    case hash
    /// `<PERSON_1>`: numbered per value; the mapping stays in a ``TokenVault`` and answers are restored with it.
    case tokenize
}

/// The placeholders of one request and the values they stand for. It never leaves Centaur: only the
/// placeholders go to the provider, and ``restore(_:)`` puts the values back into its answer.
public final class TokenVault: Sendable {
    private struct State {
        var byValue: [String: String] = [:]
        var byPlaceholder: [String: String] = [:]
        var counters: [PIIType: Int] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    /// The placeholder for a value, the same one each time the value recurs.
    public func placeholder(for value: String, type: PIIType) -> String {
        state.withLock { state in
            let key = "\(type.rawValue)\u{0}\(value)"
            if let existing = state.byValue[key] { return existing }
            let number = (state.counters[type] ?? 0) + 1
            state.counters[type] = number
            let placeholder = "<\(type.rawValue)_\(number)>"
            state.byValue[key] = placeholder
            state.byPlaceholder[placeholder] = value
            return placeholder
        }
    }

    public var isEmpty: Bool { state.withLock { $0.byPlaceholder.isEmpty } }

    public func value(of placeholder: String) -> String? { state.withLock { $0.byPlaceholder[placeholder] } }

    /// The text with every known placeholder replaced by its value.
    public func restore(_ text: String) -> String { restore(text) { $0 } }

    /// Replaces known placeholders with `render(value)`; anything else is left as it is.
    func restore(_ text: String, render: (String) -> String) -> String {
        guard text.utf8.contains(UInt8(ascii: "<")) else { return text }
        var result = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "<") {
            result += rest[..<open]
            if let close = rest[open...].firstIndex(of: ">"), let value = value(of: String(rest[open...close])) {
                result += render(value)
                rest = rest[rest.index(after: close)...]
            } else {
                result.append("<")
                rest = rest[rest.index(after: open)...]
            }
        }
        return result + rest
    }
}

/// Restores placeholders in a streamed answer whose chunks may split a placeholder (`<PERS` + `ON_1>`):
/// text that could be the start of a placeholder is held back until it is complete or cannot be one.
public struct StreamingRestorer: Sendable {
    public let vault: TokenVault
    /// Whether the text is JSON (values are then escaped as JSON string contents).
    public let inJSON: Bool
    private var pending = ""
    /// The longest placeholder held back before giving up on it.
    static let longest = 40

    public init(vault: TokenVault, inJSON: Bool = false) {
        self.vault = vault
        self.inJSON = inJSON
    }

    private func restored(_ text: String) -> String { inJSON ? vault.restoreInJSON(text) : vault.restore(text) }

    /// The restored text that is safe to emit now.
    public mutating func feed(_ chunk: String) -> String {
        pending += chunk
        guard let open = pending.lastIndex(of: "<") else { return flush() }
        let tail = pending[open...]
        if tail.utf8.contains(UInt8(ascii: ">")) || tail.count > Self.longest || !Self.couldBePlaceholder(tail) { return flush() }
        let ready = String(pending[..<open])
        pending = String(tail)
        return restored(ready)
    }

    /// Everything held back, at the end of the stream.
    public mutating func flush() -> String {
        defer { pending = "" }
        return restored(pending)
    }

    static func couldBePlaceholder(_ tail: Substring) -> Bool {
        tail.dropFirst().allSatisfy { $0.isUppercase || $0.isNumber || $0 == "_" }
    }
}

/// Replaces the personal data a detector finds, except the types a destination may receive.
public struct Redactor: Sendable {
    public var detector: PIIDetector
    public var mode: RedactionMode
    /// Types left as they are (a provider approved for them).
    public var allowed: Set<PIIType>
    /// The key for `hash` mode.
    public var hashKey: SymmetricKey

    public init(detector: PIIDetector = PIIDetector(), mode: RedactionMode = .tokenize, allowed: Set<PIIType> = [],
                hashKey: SymmetricKey = SymmetricKey(size: .bits256)) {
        self.detector = detector
        self.mode = mode
        self.allowed = allowed
        self.hashKey = hashKey
    }

    /// The redacted text and what was replaced.
    public func redact(_ text: String, vault: TokenVault = TokenVault()) -> (text: String, findings: [PIIFinding]) {
        let findings = detector.findings(in: text).filter { !allowed.contains($0.type) }
        guard !findings.isEmpty else { return (text, []) }
        // UTF-8 bytes, not a String.UnicodeScalarView: appending to the view copies the whole string each time,
        // which made redacting a long text quadratic (33 s for 5 MB of names).
        let scalars = Array(text.unicodeScalars)
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + findings.count * 8)
        func append(_ slice: ArraySlice<Unicode.Scalar>) {
            for scalar in slice { UTF8.encode(scalar) { output.append($0) } }
        }
        var cursor = 0
        for finding in findings {
            append(scalars[cursor..<finding.start])
            output.append(contentsOf: replacement(for: finding, vault: vault).utf8)
            cursor = finding.end
        }
        append(scalars[cursor...])
        return (String(decoding: output, as: UTF8.self), findings)
    }

    func replacement(for finding: PIIFinding, vault: TokenVault) -> String {
        switch mode {
        case .mask: return String(repeating: "*", count: finding.text.unicodeScalars.count)
        case .type: return "<\(finding.type.rawValue)>"
        case .hash:
            let code = HMAC<SHA256>.authenticationCode(for: Data(finding.text.utf8), using: hashKey)
            return "<\(finding.type.rawValue):\(code.prefix(4).hexString)>"
        case .tokenize: return vault.placeholder(for: finding.text, type: finding.type)
        }
    }
}
