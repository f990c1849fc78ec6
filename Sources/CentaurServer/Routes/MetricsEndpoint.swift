import CentaurStore
import Hummingbird
import Prometheus

/// `GET /metrics`: Prometheus text format, with the trace queue's depth and drops read at scrape time.
struct MetricsEndpoint: Sendable {
    let registry: PrometheusCollectorRegistry
    let writer: TraceWriter

    func register(on router: Hummingbird.Router<CentaurRequestContext>) {
        let depth = registry.makeGauge(name: "centaur_trace_queue_depth", help: "Trace records waiting to be written")
        let dropped = registry.makeGauge(name: "centaur_traces_dropped", help: "Trace records dropped (full queue or store failure)")
        let written = registry.makeGauge(name: "centaur_traces_written", help: "Trace records written to the store")
        router.get("/metrics") { _, _ in
            depth.set(Double(writer.queueDepth))
            dropped.set(Double(writer.dropped))
            written.set(Double(writer.written))
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }
}
