// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Centaur",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "centaur", targets: ["centaur"]),
        .library(name: "CentaurCore", targets: ["CentaurCore"]),
        .library(name: "CentaurProviders", targets: ["CentaurProviders"]),
        .library(name: "CentaurConfiguration", targets: ["CentaurConfiguration"]),
        .library(name: "CentaurGateway", targets: ["CentaurGateway"]),
        .library(name: "CentaurStore", targets: ["CentaurStore"]),
        .library(name: "CentaurSQLite", targets: ["CentaurSQLite"]),
        .library(name: "CentaurPostgres", targets: ["CentaurPostgres"]),
        .library(name: "CentaurRuntime", targets: ["CentaurRuntime"]),
        .library(name: "CentaurServer", targets: ["CentaurServer"]),
        .library(name: "CentaurWeb", targets: ["CentaurWeb"]),
        .library(name: "CentaurExtraction", targets: ["CentaurExtraction"]),
        .library(name: "CentaurReview", targets: ["CentaurReview"]),
        .library(name: "CentaurGuardrails", targets: ["CentaurGuardrails"]),
        .library(name: "CentaurRules", targets: ["CentaurRules"]),
        .library(name: "CentaurEvals", targets: ["CentaurEvals"]),
        .library(name: "CentaurRetrieval", targets: ["CentaurRetrieval"]),
        .library(name: "CentaurTestSupport", targets: ["CentaurTestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.24.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.25.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.1.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.0.0"),
    ],
    targets: [
        // Vocabulary: messages, requests, responses, usage, prices, JSON, schemas, errors. No I/O.
        .target(
            name: "CentaurCore",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // Model providers over HTTP: Anthropic, Bedrock, OpenAI-compatible, replay, local llama.cpp.
        .target(
            name: "CentaurProviders",
            dependencies: [
                "CentaurCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Records and narrow store protocols (traces, API keys, cache, users, evals, applications, audit log, labelled
        // examples, jobs, blobs) and the `Stores` value that holds them. No database code: backends implement them.
        .target(
            name: "CentaurStore",
            dependencies: [
                "CentaurCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The embedded backend: every store protocol on one SQLite file (GRDB), one ordered list of migrations.
        .target(
            name: "CentaurSQLite",
            dependencies: [
                "CentaurCore",
                "CentaurStore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // The scale-out backend: every store protocol on PostgreSQL (PostgresNIO), records as jsonb beside typed
        // columns, named migrations under an advisory lock, jobs claimed with FOR UPDATE SKIP LOCKED.
        .target(
            name: "CentaurPostgres",
            dependencies: [
                "CentaurCore",
                "CentaurStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Configuration as values: centaur.yaml read and checked (providers as per-kind settings, models, routes,
        // routing policy, budgets, cache, trace capture, guardrails), and where Centaur keeps its data (CentaurHome).
        .target(
            name: "CentaurConfiguration",
            dependencies: [
                "CentaurCore",
                "CentaurGuardrails",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // The model registry and the request pipeline (router, budgets, cache, guards, data policy, recording).
        .target(
            name: "CentaurGateway",
            dependencies: [
                "CentaurCore",
                "CentaurConfiguration",
                "CentaurGuardrails",
                "CentaurProviders",
                "CentaurRetrieval",
                "CentaurStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Documents: types as data, ingestion, extractors (AAMVA barcode, form fields, OCR, model), reconciliation.
        .target(
            name: "CentaurExtraction",
            dependencies: [
                "CentaurCore",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        // Rules as data: YAML rule sets type-checked against the document types, their evaluation over reconciled
        // documents, and the evidence an automatic approval needs.
        .target(
            name: "CentaurRules",
            dependencies: [
                "CentaurCore",
                "CentaurExtraction",
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        // Retrieval: BM25 over an inverted index of our own with English stemming, typed metadata filters, collections
        // written to one file each. Core only.
        // Debian's OpenBLAS (libopenblas-dev, scripts/setup-system): the matrix products of the MiniLM encoder.
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", providers: [.apt(["libopenblas-dev"])]),
        // Int8 matrix products on AVX-512 VNNI for the MiniLM encoder (C: Swift has no VNNI intrinsics); each kernel is
        // compiled for that instruction set alone and called only where the CPU has it.
        .target(name: "CentaurKernels"),
        .target(
            name: "CentaurRetrieval",
            dependencies: ["CentaurCore", "CentaurKernels", "COpenBLAS"],
            swiftSettings: swiftSettings
        ),
        // Guardrails: PII detection and redaction with our own recognisers and word lists.
        .target(
            name: "CentaurGuardrails",
            dependencies: [
                "CentaurCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        // Evals: promptfoo-format suites, assertions, a concurrent resumable runner, reports (table, JSON, JUnit, HTML).
        .target(
            name: "CentaurEvals",
            dependencies: [
                "CentaurRetrieval",
                "CentaurCore",
                "CentaurConfiguration",
                "CentaurProviders",
                "CentaurGateway",
                "CentaurExtraction",
                "CentaurStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // The onboarding workflow: the application state machine, auto-approval policy, extraction jobs, review
        // decisions, the audit log and the labelled data humans produce.
        .target(
            name: "CentaurReview",
            dependencies: [
                "CentaurCore",
                "CentaurExtraction",
                "CentaurRules",
                "CentaurStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The composition root: stores, registry and the one gateway pipeline, opened once for the server, the CLI
        // and evals; the onboarding service whose model calls go through that pipeline.
        .target(
            name: "CentaurRuntime",
            dependencies: [
                "CentaurCore",
                "CentaurConfiguration",
                "CentaurStore",
                "CentaurSQLite",
                "CentaurPostgres",
                "CentaurGateway",
                "CentaurExtraction",
                "CentaurReview",
                "CentaurRetrieval",
                "CentaurRules",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The web pages: sign-in and sessions, the review queue and page, the applicant's page, operations; typed view
        // models rendered by Mustache templates (Resources/templates); security headers. Eval reports are rendered by
        // whoever composes the server (the evals library), so the pages do not depend on evals.
        .target(
            name: "CentaurWeb",
            dependencies: [
                "CentaurCore",
                "CentaurStore",
                "CentaurExtraction",
                "CentaurRules",
                "CentaurReview",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        // The HTTP server: OpenAI- and Anthropic-compatible endpoints, the onboarding and admin APIs, health, metrics,
        // and the web pages (CentaurWeb) under one router.
        .target(
            name: "CentaurServer",
            dependencies: [
                "CentaurCore",
                "CentaurRetrieval",
                "CentaurConfiguration",
                "CentaurGateway",
                "CentaurStore",
                "CentaurExtraction",
                "CentaurReview",
                "CentaurRules",
                "CentaurRuntime",
                "CentaurWeb",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test doubles shipped for users' tests too: fake upstream server, scripted model, manual clock, in-memory stores.
        .target(
            name: "CentaurTestSupport",
            dependencies: [
                "CentaurCore",
                "CentaurStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "centaur",
            dependencies: [
                "CentaurCommands",
            ],
            swiftSettings: swiftSettings
        ),
        // The CLI's commands, as a library so tests can drive them in-process.
        .target(
            name: "CentaurCommands",
            dependencies: [
                "CentaurCore",
                "CentaurConfiguration",
                "CentaurProviders",
                "CentaurGateway",
                "CentaurServer",
                "CentaurWeb",
                "CentaurStore",
                "CentaurSQLite",
                "CentaurRuntime",
                "CentaurExtraction",
                "CentaurReview",
                "CentaurRules",
                "CentaurGuardrails",
                "CentaurEvals",
                "CentaurRetrieval",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CentaurCoreTests",
            dependencies: ["CentaurCore", "CentaurTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CentaurProvidersTests",
            dependencies: [
                "CentaurProviders", "CentaurTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CentaurServerTests",
            dependencies: [
                "CentaurServer", "CentaurTestSupport", "CentaurRetrieval",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CentaurExtractionTests",
            dependencies: ["CentaurExtraction", "CentaurTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CentaurRulesTests",
            dependencies: ["CentaurRules", "CentaurTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CentaurReviewTests",
            dependencies: ["CentaurReview", "CentaurTestSupport"],
            swiftSettings: swiftSettings
        ),
        // What spans libraries and processes: every CLI test (the built binary), the real local model's paths, the
        // composition root's one-trace-per-call check over the CLI, extraction and evals paths, and the workflow and
        // response cache over a SQLite file (audit-log tampering, job leases and cache entries across reopening).
        .testTarget(
            name: "CentaurEndToEndTests",
            dependencies: [
                "CentaurTestSupport", "CentaurProviders", "CentaurGateway", "CentaurExtraction", "CentaurRules", "CentaurReview",
                "CentaurSQLite", "CentaurRuntime", "CentaurEvals", "CentaurRetrieval",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CentaurRetrievalTests",
            dependencies: ["CentaurRetrieval", "CentaurKernels", "CentaurCore", "CentaurTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CentaurGuardrailsTests",
            dependencies: ["CentaurGuardrails", "CentaurTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CentaurEvalsTests",
            dependencies: [
                "CentaurEvals", "CentaurTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CentaurStoreTests",
            dependencies: ["CentaurSQLite", "CentaurPostgres", "CentaurTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CentaurGatewayTests",
            dependencies: ["CentaurGateway", "CentaurTestSupport", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
