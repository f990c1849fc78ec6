import CentaurStore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The headers that keep pages and uploaded documents from being turned against the people who open them.
///
/// Every response: `X-Content-Type-Options: nosniff` (a browser never guesses a type) and `Referrer-Policy:
/// no-referrer` (an applicant's page has its token in the URL; no link may carry it off-site). Pages: a
/// Content-Security-Policy that runs only the scripts shipped in the templates (by hash), loads nothing from
/// elsewhere and may not be framed. Uploaded documents: an attachment-safe `Content-Disposition` and a sandboxing
/// policy, so a PDF or image with script in it runs none.
public enum SecurityHeaders {
    static let contentTypeOptions = HTTPField.Name("x-content-type-options")!
    static let referrerPolicy = HTTPField.Name("referrer-policy")!
    static let contentSecurityPolicy = HTTPField.Name("content-security-policy")!
    static let frameOptions = HTTPField.Name("x-frame-options")!
    static let contentDisposition = HTTPField.Name("content-disposition")!

    /// The `'sha256-…'` source of every inline `<script>` in the templates. A script with a template tag in it
    /// could not be hashed ahead of time, so there is none: values reach scripts through `data-` attributes.
    static func scriptHashes(in templates: [String]) throws -> [String] {
        var hashes: [String] = []
        for template in templates {
            var rest = Substring(template)
            while let open = rest.range(of: "<script>") {
                guard let close = rest[open.upperBound...].range(of: "</script>") else { break }
                let script = rest[open.upperBound..<close.lowerBound]
                guard !script.contains("{{") else {
                    throw StoreError("a template's inline script holds a template tag; pass values with data- attributes")
                }
                hashes.append("'sha256-\(Data(SHA256.hash(data: Data(script.utf8))).base64EncodedString())'")
                rest = rest[close.upperBound...]
            }
        }
        return hashes
    }

    /// The policy for the server's own pages: scripts only by hash, styles inline (the templates' own), images and
    /// requests to this origin only, forms posted here only, never framed.
    static func pagePolicy(scriptHashes: [String]) -> String {
        let scripts = scriptHashes.isEmpty ? "'none'" : scriptHashes.joined(separator: " ")
        return "default-src 'none'; script-src \(scripts); style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    }

    /// The policy for a page with no script at all (the eval report).
    static let staticPagePolicy = pagePolicy(scriptHashes: [])

    /// The policy for an uploaded document: sandboxed, nothing loaded, nothing run.
    static let documentPolicy = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'self'"

    /// An uploaded document as a response: its stored type, shown inline but never sniffed or run.
    public static func document(_ record: DocumentRecord, _ data: Data) -> Response {
        inline(mediaType: record.mediaType, name: record.name, data)
    }

    /// Bytes from an uploaded document (the document itself, or a page rendered from it) under the document policy.
    static func inline(mediaType: String, name: String, _ data: Data) -> Response {
        // The name is the applicant's: only safe characters go into the header.
        let kept = name.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "._-".unicodeScalars.contains($0)) }
        let safeName = String(kept.prefix(80).map(Character.init))
        return Response(status: .ok, headers: [
            .contentType: mediaType, .cacheControl: "private, no-store",
            contentDisposition: "inline; filename=\"\(safeName.isEmpty ? "document" : safeName)\"",
            contentSecurityPolicy: documentPolicy,
        ], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Adds `nosniff` and `no-referrer` to every response the router gives.
public struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[SecurityHeaders.contentTypeOptions] = "nosniff"
        if response.headers[SecurityHeaders.referrerPolicy] == nil { response.headers[SecurityHeaders.referrerPolicy] = "no-referrer" }
        return response
    }
}
