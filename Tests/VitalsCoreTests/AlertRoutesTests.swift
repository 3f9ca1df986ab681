import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// Alerts end to end on a real daemon: rules edited over HTTP, an alert forced by a low
/// threshold, acknowledged, kept across a restart, and delivered to webhooks on loopback.
final class AlertRoutesTests: XCTestCase {
    /// The fixture's RAM is about 50 % used; a rule at 1 % fires at once.
    static let lowRule = #"{"name":"ram_low","metric":"memory.percent","warning":1,"clear_warning":0.5,"summary":"RAM {value}%"}"#

    private func tick(_ d: TestDaemon) {
        d.app.sampler.tick(wallMs: d.app.time.wallMs(), monoNs: d.app.time.monotonicNs(), withGPU: false)
        d.app.alerts.drain()
    }

    private func wait(_ what: String, timeout: Double = 10, _ cond: () -> Bool) {
        let end = Date().addingTimeInterval(timeout)
        while !cond() && Date() < end { usleep(20_000) }
        XCTAssertTrue(cond(), "timed out waiting for \(what)")
    }

    func testRulesRoutesValidateAndPersist() throws {
        let d = try TestDaemon()
        let rules = try d.get("/api/v1/alerts/rules").json()
        let names = rules["rules"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        XCTAssertTrue(names.contains("cpu_high") && names.contains("disk_full_in_24h") && names.contains("gpu_lost"), "\(names)")
        let bad = try d.post("/api/v1/alerts/rules", body: #"{"name":"x","metric":"memory.percent","warning":80,"clear_warning":90}"#)
        XCTAssertEqual(bad.status, 422)
        XCTAssertEqual(try bad.json()["error"]?["details"]?["field"]?.stringValue, "body.clear_warning")
        let unknown = try d.post("/api/v1/alerts/rules", body: #"{"name":"x","metric":"nope","warning":80}"#)
        XCTAssertEqual(try unknown.json()["error"]?["details"]?["field"]?.stringValue, "body.metric")
        XCTAssertEqual(try d.post("/api/v1/alerts/rules", body: Self.lowRule, token: TestDaemon.readToken).status, 403)
        XCTAssertEqual(try d.post("/api/v1/alerts/rules", body: Self.lowRule).status, 201)
        XCTAssertEqual(try d.post("/api/v1/alerts/rules", body: Self.lowRule).status, 409)
        let del = try TestHTTPClient.request(port: d.port, "DELETE", "/api/v1/alerts/rules/cpu_high",
                                             headers: ["Authorization": "Bearer \(TestDaemon.adminToken)"])
        XCTAssertEqual(del.status, 200)
        let dir = d.config.dataDir
        d.app.stop()
        let again = try TestDaemon(dataDir: dir)
        let after = try again.get("/api/v1/alerts/rules").json()["rules"]?.arrayValue ?? []
        XCTAssertEqual(after.first { $0["name"]?.stringValue == "ram_low" }?["source"]?.stringValue, "api")
        XCTAssertNil(after.first { $0["name"]?.stringValue == "cpu_high" }, "a deleted default stays deleted")
    }

    func testForcedAlertFiresIsAcknowledgedAndSurvivesARestart() throws {
        let d = try TestDaemon()
        XCTAssertEqual(try d.post("/api/v1/alerts/rules", body: Self.lowRule).status, 201)
        tick(d)
        let list = try d.get("/api/v1/alerts").json()["alerts"]?.arrayValue ?? []
        let alert = try XCTUnwrap(list.first { $0["rule"]?.stringValue == "ram_low" })
        XCTAssertEqual(alert["state"]?.stringValue, "firing")
        XCTAssertEqual(alert["severity"]?.stringValue, "warning")
        let id = try XCTUnwrap(alert["id"]?.intValue)
        XCTAssertEqual(try d.post("/api/v1/alerts/\(id)/acknowledge", body: #"{"expires":"yesterday"}"#).status, 422)
        let ack = try d.post("/api/v1/alerts/\(id)/acknowledge", body: #"{"comment":"looking","expires":"2h"}"#)
        XCTAssertEqual(ack.status, 200)
        let by = try ack.json()["acknowledgement"]?["by"]?.stringValue ?? ""
        XCTAssertTrue(by.hasPrefix("admin:") && by.count == 14, by)
        XCTAssertFalse(by.contains(TestDaemon.adminToken))
        XCTAssertEqual(try d.post("/api/v1/alerts/999999/acknowledge").status, 404)
        d.app.alerts.drain()
        let one = try d.get("/api/v1/alerts/\(id)").json()
        XCTAssertEqual(one["events"]?.arrayValue?.compactMap { $0["change"]?.stringValue }, ["firing", "acknowledged"])
        // A restart carries the firing alert on: same id, still acknowledged, no new events.
        let dir = d.config.dataDir
        d.app.stop()
        let again = try TestDaemon(dataDir: dir)
        tick(again)
        let restored = try again.get("/api/v1/alerts/\(id)").json()
        XCTAssertEqual(restored["state"]?.stringValue, "firing")
        XCTAssertEqual(restored["acknowledgement"]?["comment"]?.stringValue, "looking")
        XCTAssertEqual(restored["events"]?.arrayValue?.count, 2)
        let history = try again.get("/api/v1/alerts/history?rule=ram_low&severity=warning").json()
        XCTAssertEqual(history["total"]?.intValue, 1)
        XCTAssertEqual(try again.get("/api/v1/alerts/history?from=never").status, 422)
    }

    func testWebhookThatFailsTwiceGetsTheAlertOnceInAlertmanagersFormat() throws {
        let receiver = try WebhookReceiver(statuses: [500, 500, 200])
        let d = try TestDaemon(configure: { $0.alertWebhooks = ["http://127.0.0.1:\(receiver.port)/hook"] })
        XCTAssertEqual(try d.post("/api/v1/alerts/rules", body: Self.lowRule).status, 201)
        tick(d)
        wait("delivery") { receiver.bodies.count == 1 }
        usleep(300_000)
        XCTAssertEqual(receiver.requests, 3, "two 500s retried, then delivered")
        XCTAssertEqual(receiver.bodies.count, 1, "delivered once")
        XCTAssertEqual(receiver.paths, ["/hook"])
        let p = try JSONValue.parse(receiver.bodies[0])
        XCTAssertEqual(p["version"]?.stringValue, "4")
        XCTAssertEqual(p["status"]?.stringValue, "firing")
        XCTAssertEqual(p["receiver"]?.stringValue, "vitals")
        XCTAssertEqual(p["groupKey"]?.stringValue, #"{}:{alertname="ram_low"}"#)
        XCTAssertEqual(p["groupLabels"]?["alertname"]?.stringValue, "ram_low")
        XCTAssertNotNil(p["externalURL"]?.stringValue)
        let a = try XCTUnwrap(p["alerts"]?.arrayValue?.first)
        XCTAssertEqual(a["labels"]?["alertname"]?.stringValue, "ram_low")
        XCTAssertEqual(a["labels"]?["severity"]?.stringValue, "warning")
        XCTAssertEqual(a["endsAt"]?.stringValue, "0001-01-01T00:00:00Z")
        XCTAssertEqual(a["fingerprint"]?.stringValue?.count, 16)
        XCTAssertTrue(a["annotations"]?["summary"]?.stringValue?.hasPrefix("RAM ") ?? false)
        XCTAssertNotNil(a["startsAt"]?.stringValue.flatMap(TimeFormat.parseISO8601))
        XCTAssertTrue(a["generatorURL"]?.stringValue?.contains("/api/v1/alerts/") ?? false)
        let n = try d.get("/api/v1/alerts/notifications").json()
        let row = try XCTUnwrap(n["notifications"]?.arrayValue?.first)
        XCTAssertEqual(row["state"]?.stringValue, "delivered")
        XCTAssertEqual(row["attempts"]?.intValue, 3)
        // Resolved is sent too: remove the rule, its alert resolves.
        _ = try TestHTTPClient.request(port: d.port, "DELETE", "/api/v1/alerts/rules/ram_low",
                                       headers: ["Authorization": "Bearer \(TestDaemon.adminToken)"])
        d.app.alerts.drain()
        wait("resolved delivery") { receiver.bodies.count == 2 }
        XCTAssertEqual(try JSONValue.parse(receiver.bodies[1])["status"]?.stringValue, "resolved")
    }

    func testAReceiverDownAcrossARestartGetsTheAlertAfterwards() throws {
        let port = try WebhookReceiver.freePort()
        let d = try TestDaemon(configure: { $0.alertWebhooks = ["http://127.0.0.1:\(port)/hook"] })
        XCTAssertEqual(try d.post("/api/v1/alerts/rules", body: Self.lowRule).status, 201)
        tick(d)
        wait("a failed attempt") {
            (try? d.get("/api/v1/alerts/notifications").json()["notifications"]?.arrayValue?.first?["attempts"]?.intValue ?? 0) ?? 0 >= 1
        }
        let pending = try d.get("/api/v1/alerts/notifications?state=pending").json()
        XCTAssertEqual(pending["total"]?.intValue, 1)
        XCTAssertNotNil(pending["notifications"]?.arrayValue?.first?["last_error"]?.stringValue)
        let dir = d.config.dataDir
        d.app.stop()
        let receiver = try WebhookReceiver(port: port, statuses: [200])
        let again = try TestDaemon(dataDir: dir, configure: { $0.alertWebhooks = ["http://127.0.0.1:\(port)/hook"] })
        wait("delivery after the restart", timeout: 15) { receiver.bodies.count == 1 }
        tick(again)
        usleep(300_000)
        XCTAssertEqual(receiver.bodies.count, 1, "once: the restart neither lost nor repeated it")
        XCTAssertEqual(try JSONValue.parse(receiver.bodies[0])["status"]?.stringValue, "firing")
    }

    func testAFourHundredIsNotRetried() throws {
        let receiver = try WebhookReceiver(statuses: [400, 200])
        let d = try TestDaemon(configure: { $0.alertWebhooks = ["http://127.0.0.1:\(receiver.port)/hook"] })
        XCTAssertEqual(try d.post("/api/v1/alerts/rules", body: Self.lowRule).status, 201)
        tick(d)
        wait("the refusal") { receiver.requests == 1 }
        usleep(1_500_000)
        XCTAssertEqual(receiver.requests, 1)
        let n = try d.get("/api/v1/alerts/notifications?state=failed").json()
        XCTAssertEqual(n["notifications"]?.arrayValue?.first?["last_status"]?.intValue, 400)
    }

    func testBackoffFollowsAlertmanager() {
        XCTAssertEqual(NotifyBackoff.delayMs(attempt: 1, random: 0.5), 500)
        XCTAssertEqual(NotifyBackoff.delayMs(attempt: 2, random: 0.5), 750)
        XCTAssertEqual(NotifyBackoff.delayMs(attempt: 3, random: 0.5), 1125)
        XCTAssertEqual(NotifyBackoff.delayMs(attempt: 2, random: 0), 375)
        XCTAssertEqual(NotifyBackoff.delayMs(attempt: 2, random: 0.999), 1124)
        XCTAssertEqual(NotifyBackoff.delayMs(attempt: 40, random: 0.999), 60_000)
        XCTAssertEqual(NotifyBackoff.delayMs(attempt: 40, random: 0), 30_000)
    }
}

/// The Alertmanager push (v2 API body) as Prometheus sends it: on firing, re-sent each
/// minute with endsAt four minutes ahead. `make conformance` checks it against a real one.
final class AlertmanagerPushTests: XCTestCase {
    func testFiringAlertIsPushedAndResentWithEndsAtAhead() throws {
        let am = try WebhookReceiver(statuses: [200])
        let d = try TestDaemon(configure: { $0.alertmanagerURLs = ["http://127.0.0.1:\(am.port)"] })
        XCTAssertEqual(try d.post("/api/v1/alerts/rules", body: AlertRoutesTests.lowRule).status, 201)
        d.app.sampler.tick(wallMs: d.app.time.wallMs(), monoNs: d.app.time.monotonicNs(), withGPU: false)
        d.app.alerts.drain()
        let end = Date().addingTimeInterval(10)
        while am.bodies.isEmpty && Date() < end { usleep(20_000) }
        XCTAssertEqual(am.paths.first, "/api/v2/alerts")
        let body = try JSONValue.parse(try XCTUnwrap(am.bodies.first))
        let a = try XCTUnwrap(body.arrayValue?.first)
        XCTAssertEqual(a["labels"]?["alertname"]?.stringValue, "ram_low")
        let ends = try XCTUnwrap(a["endsAt"]?.stringValue.flatMap(TimeFormat.parseISO8601))
        XCTAssertEqual(Double(ends - d.app.time.wallMs()), 240_000, accuracy: 5_000)
        d.app.alerts.runPeriodicNow()
        d.app.alerts.outbox?.deliverNow()
        XCTAssertGreaterThanOrEqual(am.bodies.count, 2, "re-sent while firing")
    }
}
