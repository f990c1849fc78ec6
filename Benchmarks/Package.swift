// swift-tools-version:6.1
// Benchmarks for Centaur (ordo-one/benchmark), kept out of the main package so they cost nothing there.
// Run: cd Benchmarks && swift package --disable-sandbox benchmark
import PackageDescription

let package = Package(
    name: "CentaurBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ExtractionBenchmarks",
            dependencies: [
                .product(name: "CentaurExtraction", package: "main"),
                .product(name: "CentaurRules", package: "main"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ExtractionBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The PostgreSQL store on a real server (CENTAUR_BENCH_POSTGRES_URL; bench/postgres/run.sh starts one).
        .executableTarget(
            name: "PostgresBenchmarks",
            dependencies: [
                .product(name: "CentaurPostgres", package: "main"),
                .product(name: "CentaurStore", package: "main"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/PostgresBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Retrieval on SciFact (CENTAUR_BENCH_SCIFACT: the folder with corpus.jsonl and queries.jsonl; bench/retrieval/run.sh
        // sets it): query latency on a fresh index and after 10,000 single-document updates.
        .executableTarget(
            name: "RetrievalBenchmarks",
            dependencies: [
                .product(name: "CentaurRetrieval", package: "main"),
                .product(name: "CentaurCore", package: "main"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/RetrievalBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
