import Foundation

/// Extraction as an experiment: for each document type with a function (`extract.us-drivers-license` under
/// `functions:`), the variants' extractors (a model, with or without few-shot examples) and the rule that assigns a
/// subject (the application) to one of them, always the same one. The pipeline asks it before its default model.
public struct ExtractionVariants: Sendable {
    public struct Function: Sendable {
        public var name: String
        /// Subject → variant name: sticky, a stable hash of the function and the subject on the weights.
        public var assign: @Sendable (String) -> String
        public var extractors: [String: ModelExtractor]

        public init(name: String, assign: @escaping @Sendable (String) -> String, extractors: [String: ModelExtractor]) {
            self.name = name; self.assign = assign; self.extractors = extractors
        }
    }

    /// By document type id.
    public var functions: [String: Function]

    public init(functions: [String: Function]) { self.functions = functions }

    /// The variant's extractor for `subject`'s document of `type`, or nil when the type has no function. A document
    /// without a subject (a one-shot command) goes to the first variant by name with weight, as `assign("")` does.
    public func extractor(for type: DocumentType, subject: String?) -> ModelExtractor? {
        guard let function = functions[type.id] else { return nil }
        let name = function.assign(subject ?? "")
        guard var extractor = function.extractors[name] else { return nil }
        extractor.variant = "\(function.name)/\(name)"
        return extractor
    }
}
