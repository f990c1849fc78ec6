import CentaurCore
import Foundation

/// A kind of document Centaur extracts (`us-drivers-license`, `form-i9`, `pay-stub`, `bank-statement`),
/// defined as versioned data under `Resources/document-types/`: its fields, each with a kind that decides
/// normalisation and JSON type, a description the model sees, and whether a change to it is high-risk.
public struct DocumentType: Sendable, Hashable {
    public let id: String
    public let version: Int
    public let title: String
    public let description: String
    /// Reading hints given to a model with the fields (how this kind of document prints its values).
    public let instructions: String
    /// Fields in the order the file lists them.
    public let fields: [Field]

    public struct Field: Sendable, Hashable {
        public let name: String
        public let kind: FieldKind
        public let description: String
        public let highRisk: Bool
        public let allowed: [String]?
        /// Whether a model is asked for it (false for values only a barcode or a form's structure holds).
        public let askModel: Bool
        /// The field in plain words for the person who checks it ("Licence number"); `label` in the file, else the name.
        public var label: String = ""
        /// Where it sits on the document, for grouping what an applicant confirms ("Name", "Address"); nil for fields
        /// an applicant never checks.
        public var group: String?
        /// Whether the applicant confirms it (false for machine-only values and the employer's sections).
        public var applicant = true
        /// Shown masked until the person asks to see it (SSN, document numbers).
        public var sensitive = false
    }

    /// How a field's value is typed and normalised.
    public enum FieldKind: String, Sendable, Hashable, CaseIterable {
        /// Trimmed, inner whitespace collapsed, upper-cased.
        case name
        /// Trimmed, inner whitespace collapsed.
        case text
        /// Spaces and dashes removed, upper-cased.
        case identifier
        /// Trimmed and upper-cased.
        case code
        /// ISO 8601 `yyyy-mm-dd`.
        case date
        case integer
        case number
        /// A number from text such as `$1,234.56`.
        case money
        case boolean
    }

    public func field(_ name: String) -> Field? { fields.first { $0.name == name } }

    /// The JSON Schema of an extraction: an object with every field present, each of its type or null.
    public var schema: JSONSchema { JSONSchema(schemaValue) }

    /// The schema of every field.
    public var schemaValue: JSONValue { schemaValue(of: fields) }

    /// The fields a model is asked for, and their schema.
    public var modelFields: [Field] { fields.filter(\.askModel) }
    public var modelSchemaValue: JSONValue { schemaValue(of: modelFields) }

    /// Nullable values are written as `anyOf` (or an `enum` that includes null) rather than a type list, so
    /// grammar-constrained decoders (llama.cpp) keep the pattern or the allowed values. Patterns use
    /// character classes, not `\\d`, which llama-cpp-python's grammar converter cannot translate.
    private func schemaValue(of fields: [Field]) -> JSONValue {
        var properties: [String: JSONValue] = [:]
        for field in fields {
            var property: [String: JSONValue] = ["description": .string(field.description)]
            switch field.kind {
            case .name, .text, .identifier, .code:
                if let allowed = field.allowed {
                    property["enum"] = .array(allowed.map(JSONValue.string) + [.null])
                } else {
                    property["type"] = ["string", "null"]
                }
            case .date:
                // A date as printed (mm/dd/yyyy) or ISO: models copy more reliably than they convert,
                // and the normaliser turns either into yyyy-mm-dd.
                property["anyOf"] = [["type": "string", "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}/[0-9]{2}/[0-9]{4})$"], ["type": "null"]]
                property["description"] = .string(field.description + " (mm/dd/yyyy as printed, or yyyy-mm-dd)")
            case .integer: property["type"] = ["integer", "null"]
            case .number, .money: property["type"] = ["number", "null"]
            case .boolean: property["type"] = ["boolean", "null"]
            }
            properties[field.name] = .object(property)
        }
        return [
            "$id": .string("https://centaur.local/document-types/\(id)/v\(version)"),
            "title": .string(title),
            "type": "object",
            "properties": .object(properties),
            "required": .array(fields.map { .string($0.name) }),
            "additionalProperties": false,
        ]
    }
}

extension DocumentType {
    /// Reads a document type file (see `Resources/document-types/*.json`).
    public init(data: Data, source: String) throws {
        let value: JSONValue
        do { value = try JSONValue(parsing: data) } catch { throw DocumentTypeError("\(source): \(error)") }
        guard let id = value["id"]?.stringValue, let version = value["version"]?.intValue,
              let fieldsObject = value["fields"]?.objectValue
        else { throw DocumentTypeError("\(source): a document type needs \"id\", \"version\" and \"fields\"") }
        // Keep the file's order: JSONValue objects are unordered, so read the keys' order from the text.
        let text = String(decoding: data, as: UTF8.self)
        let ordered = fieldsObject.keys.sorted { lhs, rhs in
            (text.range(of: "\"\(lhs)\":")?.lowerBound ?? text.endIndex) < (text.range(of: "\"\(rhs)\":")?.lowerBound ?? text.endIndex)
        }
        var fields: [Field] = []
        for name in ordered {
            let spec = fieldsObject[name]!
            guard let kindName = spec["kind"]?.stringValue, let kind = FieldKind(rawValue: kindName) else {
                throw DocumentTypeError("\(source): field \(name) has no valid \"kind\" (one of \(FieldKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            var field = Field(
                name: name, kind: kind, description: spec["description"]?.stringValue ?? name,
                highRisk: spec["high_risk"]?.boolValue ?? false,
                allowed: spec["enum"]?.arrayValue?.compactMap(\.stringValue),
                askModel: spec["model"]?.boolValue ?? true)
            let plain = name.replacingOccurrences(of: "_", with: " ")
            field.label = spec["label"]?.stringValue ?? plain.prefix(1).uppercased() + plain.dropFirst()
            field.group = spec["group"]?.stringValue
            field.applicant = spec["applicant"]?.boolValue ?? true
            field.sensitive = spec["sensitive"]?.boolValue ?? false
            fields.append(field)
        }
        self.init(id: id, version: version, title: value["title"]?.stringValue ?? id,
                  description: value["description"]?.stringValue ?? "",
                  instructions: value["instructions"]?.stringValue ?? "", fields: fields)
    }

    /// The document types that ship with Centaur.
    public static let builtIn: [DocumentType] = {
        ["us-drivers-license", "form-i9", "pay-stub", "bank-statement"].map { name in
            guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "document-types"),
                  let data = try? Data(contentsOf: url),
                  let type = try? DocumentType(data: data, source: "\(name).json")
            else { fatalError("the built-in document type \(name) is missing or invalid: the package resources are broken") }
            return type
        }
    }()

    public static func named(_ id: String) throws -> DocumentType {
        guard let type = builtIn.first(where: { $0.id == id }) else {
            throw DocumentTypeError("unknown document type \"\(id)\"; known: \(builtIn.map(\.id).joined(separator: ", "))")
        }
        return type
    }

    public static let driversLicense = try! named("us-drivers-license")
    public static let formI9 = try! named("form-i9")
    public static let payStub = try! named("pay-stub")
    public static let bankStatement = try! named("bank-statement")
}

public struct DocumentTypeError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
