/// A workflow request that cannot be done, with a sentence that says why. The server maps ``Kind`` to a status.
public struct WorkflowError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// No such application (or not the caller's): 404.
        case notFound = "not_found"
        /// The request itself is wrong: 400.
        case invalid
        /// Not allowed in the application's state, or someone else changed it first: 409.
        case conflict
        /// The uploaded file cannot be read as a document: 422.
        case unreadableDocument = "unreadable_document"
        /// The file is not the document it was uploaded as (an I-9 in the licence slot, a photo with no barcode): 422.
        case wrongDocument = "wrong_document"
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    static func notFound(_ id: String) -> WorkflowError { WorkflowError(.notFound, "no application \(id)") }
}
