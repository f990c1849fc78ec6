import Foundation

/// How `centaur serve` listens and guards its doors.
public struct ServerSettings: Sendable, Hashable {
    public var host: String
    /// 0 picks a free port.
    public var port: Int
    /// Request bodies larger than this get a 413.
    public var maxBodyBytes: Int
    /// When false, model endpoints accept requests without a key (for local development only).
    public var requireKeys: Bool
    /// The model that reads uploaded documents when barcodes and form fields give nothing (nil: never ask a model).
    public var extractionModel: String?
    /// Labelled documents per extraction prompt, from the latest dataset version of each type (0: zero-shot).
    public var fewShotExamples = 0
    /// The rule set applications are checked against: a built-in name or a YAML file.
    public var rules: String
    /// Polling interval of the extraction worker when no upload wakes it.
    public var workerPollInterval: Duration
    /// Peer addresses of reverse proxies whose `X-Forwarded-For` is believed (sign-in limits); empty: the
    /// header is ignored and the connection's own address counts.
    public var trustedProxies: Set<String> = []
    /// Applications one client address may create in 15 minutes (creation needs no key).
    public var applicationsPerAddress = 30
    /// Extraction jobs run at once: a slow document cannot hold up every other applicant's (`--extraction-workers`).
    public var extractionWorkers = 2
    /// How long a replica holds a background job before another may take it over: a replica that died (SIGKILL, a lost
    /// machine) has its jobs run again this long after its last heartbeat (`--job-lease`).
    public var jobLease: Duration = .seconds(120)
    /// Connections open at once; past this, new ones wait to be accepted (`--max-connections`).
    public var maxConnections = 512
    /// A connection with no request for this long is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// A request must arrive whole (head and body) within this, or its connection is closed (`--request-timeout`).
    public var requestReadTimeout: Duration = .seconds(120)

    public init(host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 32 << 20, requireKeys: Bool = true,
                extractionModel: String? = nil, rules: String = "driver-onboarding", workerPollInterval: Duration = .seconds(1)) {
        self.extractionModel = extractionModel
        self.rules = rules
        self.workerPollInterval = workerPollInterval
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.requireKeys = requireKeys
    }
}
