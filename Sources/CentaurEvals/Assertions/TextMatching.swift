import CentaurCore
import Foundation

/// JSON objects and arrays embedded in text (for contains-json and fenced answers).
public enum JSONExtraction {
    public static func values(in text: String) -> [JSONValue] {
        if let whole = try? JSONValue(parsing: text.trimmingCharacters(in: .whitespacesAndNewlines)) { return [whole] }
        let characters = Array(text)
        var found: [JSONValue] = []
        var i = 0
        while i < characters.count {
            guard characters[i] == "{" || characters[i] == "[" else { i += 1; continue }
            var depth = 0, inString = false, escaped = false, end: Int?
            for j in i..<characters.count {
                let c = characters[j]
                if inString {
                    if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
                    continue
                }
                if c == "\"" { inString = true } else if c == "{" || c == "[" { depth += 1 } else if c == "}" || c == "]" {
                    depth -= 1
                    if depth == 0 { end = j; break }
                }
            }
            if let end, let value = try? JSONValue(parsing: String(characters[i...end])) {
                found.append(value)
                i = end + 1
            } else {
                i += 1
            }
        }
        return found
    }
}

public enum Levenshtein {
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
