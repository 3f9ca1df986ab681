import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// Watched services: probed off the tick, shown in health, /metrics and their route, each
/// with a default "service down" rule.
final class ServiceProbeTests: XCTestCase {
    func testUpAndDownServicesShowEverywhere() throws {
        let web = try WebhookReceiver(statuses: [200])
        let closed = try WebhookReceiver.freePort()
        let d = try TestDaemon(configure: {
            $0.services = [
                { var s = ServiceSpec(name: "comfyui", target: .http("http://127.0.0.1:\(web.port)/health")); s.intervalMs = 3_600_000; return s }(),
                { var s = ServiceSpec(name: "redis", target: .tcp(host: "127.0.0.1", port: closed)); s.timeoutMs = 500; s.intervalMs = 3_600_000; return s }(),
            ]
        })
        d.app.services.probeAllNow()
        let list = try d.get("/api/v1/system/services").json()["services"]?.arrayValue ?? []
        XCTAssertEqual(list.map { $0["status"]?.stringValue ?? "" }, ["up", "down"])
        XCTAssertNotNil(list[1]["last_error"]?.stringValue)
        XCTAssertNotNil(list[0]["latency_ms"]?.doubleValue)
        let health = try d.get("/api/v1/system/health").json()
        XCTAssertEqual(health["components"]?["services"]?.arrayValue?.count, 2)
        XCTAssertTrue(health["warnings"]?.arrayValue?.contains { $0["component"]?.stringValue == "services" } ?? false)
        let metrics = try d.get("/metrics").text
        XCTAssertTrue(metrics.contains(#"vitals_service_up{service="comfyui"} 1"#), metrics)
        XCTAssertTrue(metrics.contains(#"vitals_service_up{service="redis"} 0"#))
        let rules = try d.get("/api/v1/alerts/rules").json()["rules"]?.arrayValue ?? []
        XCTAssertTrue(rules.contains { $0["name"]?.stringValue == "service_down_redis" })
        let parsed = ServiceSpec.parse(try JSONValue.parse(Array(#"{"name":"db","tcp":"127.0.0.1:5432","interval":"10s"}"#.utf8)))
        XCTAssertEqual(try parsed.get().intervalMs, 10_000)
        guard case .failure = ServiceSpec.parse(try JSONValue.parse(Array(#"{"name":"x","url":"https://a"}"#.utf8))) else { return XCTFail() }
    }
}
