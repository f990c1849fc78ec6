/// The rule language: a small, typed expression language. A rule's `when` expression is true when the
/// rule fires.
///
/// ```
/// expr    := or
/// or      := and ("or" and)*
/// and     := not ("and" not)*
/// not     := "not" not | compare
/// compare := sum (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in") sum)?
/// sum     := product (("+" | "-") product)*
/// product := unary (("*" | "/") unary)*
/// unary   := "-" unary | primary
/// primary := NUMBER | STRING | "true" | "false" | IDENT "(" args ")" | IDENT ("." IDENT)* | "[" args "]" | "(" expr ")"
/// ```
/// Strings are quoted with `"` or `'`. Field paths are `namespace.field` (`license.date_of_birth`).
public indirect enum RuleExpression: Sendable, Hashable {
    case number(Double, at: Int)
    case string(String, at: Int)
    case bool(Bool, at: Int)
    case field(namespace: String, name: String, at: Int)
    case call(function: String, arguments: [RuleExpression], at: Int)
    case list([RuleExpression], at: Int)
    case unary(op: String, RuleExpression, at: Int)
    case binary(op: String, RuleExpression, RuleExpression, at: Int)

    /// Column (1-based) where the expression starts.
    public var position: Int {
        switch self {
        case .number(_, let at), .string(_, let at), .bool(_, let at), .field(_, _, let at), .call(_, _, let at),
             .list(_, let at), .unary(_, _, let at), .binary(_, _, _, let at): at
        }
    }

    /// Every field path the expression reads.
    public var fields: [String] {
        switch self {
        case .field(let namespace, let name, _): ["\(namespace).\(name)"]
        case .call(_, let arguments, _), .list(let arguments, _): arguments.flatMap(\.fields)
        case .unary(_, let operand, _): operand.fields
        case .binary(_, let lhs, let rhs, _): lhs.fields + rhs.fields
        default: []
        }
    }
}

/// A rule that does not parse or type-check: names the rule and the column.
public struct RuleError: Error, Sendable, Hashable, CustomStringConvertible {
    public let rule: String
    public let position: Int?
    public let message: String

    public init(rule: String, position: Int?, message: String) {
        self.rule = rule; self.position = position; self.message = message
    }

    public var description: String {
        if let position { return "rule \(rule), column \(position): \(message)" }
        return "rule \(rule): \(message)"
    }
}

struct RuleParser {
    enum Token: Hashable {
        case number(Double), string(String), identifier(String), symbol(String), end
    }

    let rule: String
    private var tokens: [(Token, Int)] = []
    private var index = 0

    init(rule: String, source: String) throws(RuleError) {
        self.rule = rule
        self.tokens = try Self.lex(source, rule: rule)
    }

    static func parse(_ source: String, rule: String) throws(RuleError) -> RuleExpression {
        var parser = try RuleParser(rule: rule, source: source)
        let expression = try parser.expression()
        guard case .end = parser.current.0 else {
            throw RuleError(rule: rule, position: parser.current.1, message: "unexpected \(describe(parser.current.0)) after a complete expression")
        }
        return expression
    }

    private static func lex(_ source: String, rule: String) throws(RuleError) -> [(Token, Int)] {
        let chars = Array(source)
        var out: [(Token, Int)] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            let column = i + 1
            if c.isWhitespace { i += 1; continue }
            if c.isNumber {
                var j = i
                while j < chars.count, chars[j].isNumber || chars[j] == "." || chars[j] == "_" { j += 1 }
                let text = String(chars[i..<j]).replacingOccurrences(of: "_", with: "")
                guard let value = Double(text) else { throw RuleError(rule: rule, position: column, message: "malformed number \(text)") }
                out.append((.number(value), column)); i = j; continue
            }
            if c.isLetter || c == "_" {
                var j = i
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
                out.append((.identifier(String(chars[i..<j])), column)); i = j; continue
            }
            if c == "\"" || c == "'" {
                var j = i + 1
                var text = ""
                while j < chars.count, chars[j] != c {
                    if chars[j] == "\\", j + 1 < chars.count { j += 1 }
                    text.append(chars[j]); j += 1
                }
                guard j < chars.count else { throw RuleError(rule: rule, position: column, message: "unterminated string") }
                out.append((.string(text), column)); i = j + 1; continue
            }
            let two = i + 1 < chars.count ? String(chars[i...i + 1]) : ""
            if ["==", "!=", "<=", ">="].contains(two) { out.append((.symbol(two), column)); i += 2; continue }
            if "<>+-*/(),.[]".contains(c) { out.append((.symbol(String(c)), column)); i += 1; continue }
            if c == "=" { throw RuleError(rule: rule, position: column, message: "'=' is not an operator; compare with '=='") }
            throw RuleError(rule: rule, position: column, message: "unexpected character '\(c)'")
        }
        out.append((.end, chars.count + 1))
        return out
    }

    private static func describe(_ token: Token) -> String {
        switch token {
        case .number(let n): "number \(n)"
        case .string(let s): "string \"\(s)\""
        case .identifier(let s): "'\(s)'"
        case .symbol(let s): "'\(s)'"
        case .end: "end of expression"
        }
    }

    private var current: (Token, Int) { tokens[index] }

    private mutating func advance() -> (Token, Int) { defer { index += 1 }; return tokens[index] }

    private func isKeyword(_ word: String) -> Bool {
        if case .identifier(let w) = current.0 { return w == word }
        return false
    }

    private func isSymbol(_ symbol: String) -> Bool {
        if case .symbol(let s) = current.0 { return s == symbol }
        return false
    }

    private mutating func expect(_ symbol: String) throws(RuleError) {
        guard isSymbol(symbol) else {
            throw RuleError(rule: rule, position: current.1, message: "expected '\(symbol)', found \(Self.describe(current.0))")
        }
        index += 1
    }

    mutating func expression() throws(RuleError) -> RuleExpression { try or() }

    private mutating func or() throws(RuleError) -> RuleExpression {
        var lhs = try and()
        while isKeyword("or") { let at = advance().1; lhs = .binary(op: "or", lhs, try and(), at: at) }
        return lhs
    }

    private mutating func and() throws(RuleError) -> RuleExpression {
        var lhs = try not()
        while isKeyword("and") { let at = advance().1; lhs = .binary(op: "and", lhs, try not(), at: at) }
        return lhs
    }

    private mutating func not() throws(RuleError) -> RuleExpression {
        if isKeyword("not") { let at = advance().1; return .unary(op: "not", try not(), at: at) }
        return try compare()
    }

    private mutating func compare() throws(RuleError) -> RuleExpression {
        let lhs = try sum()
        for op in ["==", "!=", "<=", ">=", "<", ">"] where isSymbol(op) {
            let at = advance().1
            return .binary(op: op, lhs, try sum(), at: at)
        }
        if isKeyword("in") { let at = advance().1; return .binary(op: "in", lhs, try sum(), at: at) }
        return lhs
    }

    private mutating func sum() throws(RuleError) -> RuleExpression {
        var lhs = try product()
        while isSymbol("+") || isSymbol("-") {
            let (token, at) = advance()
            guard case .symbol(let op) = token else { break }
            lhs = .binary(op: op, lhs, try product(), at: at)
        }
        return lhs
    }

    private mutating func product() throws(RuleError) -> RuleExpression {
        var lhs = try unary()
        while isSymbol("*") || isSymbol("/") {
            let (token, at) = advance()
            guard case .symbol(let op) = token else { break }
            lhs = .binary(op: op, lhs, try unary(), at: at)
        }
        return lhs
    }

    private mutating func unary() throws(RuleError) -> RuleExpression {
        if isSymbol("-") { let at = advance().1; return .unary(op: "-", try unary(), at: at) }
        return try primary()
    }

    private mutating func primary() throws(RuleError) -> RuleExpression {
        let (token, at) = advance()
        switch token {
        case .number(let value): return .number(value, at: at)
        case .string(let value): return .string(value, at: at)
        case .identifier("true"): return .bool(true, at: at)
        case .identifier("false"): return .bool(false, at: at)
        case .identifier(let word) where ["and", "or", "not", "in"].contains(word):
            throw RuleError(rule: rule, position: at, message: "expected a value, found keyword '\(word)'")
        case .identifier(let name):
            if isSymbol("(") {
                index += 1
                let arguments = try list(until: ")")
                return .call(function: name, arguments: arguments, at: at)
            }
            guard isSymbol(".") else {
                throw RuleError(rule: rule, position: at, message: "'\(name)' is not a field path: write namespace.field, e.g. license.\(name)")
            }
            index += 1
            guard case .identifier(let field) = current.0 else {
                throw RuleError(rule: rule, position: current.1, message: "expected a field name after '\(name).'")
            }
            index += 1
            return .field(namespace: name, name: field, at: at)
        case .symbol("("):
            let inner = try expression()
            try expect(")")
            return inner
        case .symbol("["):
            return .list(try list(until: "]"), at: at)
        default:
            throw RuleError(rule: rule, position: at, message: "expected a value, found \(Self.describe(token))")
        }
    }

    private mutating func list(until close: String) throws(RuleError) -> [RuleExpression] {
        var items: [RuleExpression] = []
        if isSymbol(close) { index += 1; return items }
        while true {
            items.append(try expression())
            if isSymbol(",") { index += 1; continue }
            try expect(close)
            return items
        }
    }
}
