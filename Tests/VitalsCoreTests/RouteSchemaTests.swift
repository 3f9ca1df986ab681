import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// Route declarations tested through the router and handlers directly, without sockets
/// (Hummingbird's `app.test(.router)` habit): tables of bad input run in milliseconds.
final class RouteSchemaTests: RouterTestCase {
    func testBadInputIsRefusedNamingTheField() throws {
        let table: [(String, String, String, Int, String?)] = [
            ("GET", "/api/v1/system/stats/history?points=0", "", 422, "query.points"),
            ("GET", "/api/v1/system/stats/history?points=abc", "", 422, "query.points"),
            ("GET", "/api/v1/system/stats/history?points=99999999999999999999", "", 422, "query.points"),
            ("GET", "/api/v1/system/stats/history?range=2w", "", 422, "query.range"),
            ("GET", "/api/v1/system/stats/history?hours=0", "", 422, "query.hours"),
            ("GET", "/api/v1/system/stats/history?hours=nan", "", 422, "query.hours"),
            ("GET", "/api/v1/system/stats/history?hours=inf", "", 422, "query.hours"),
            ("GET", "/api/v1/system/stats/history?range=1h&hours=2", "", 422, "query.hours"),
            ("GET", "/api/v1/system/stats/history?to=0", "", 422, "query.to"),
            ("GET", "/api/v1/system/stats/history?from=yesterday", "", 422, "query.from"),
            ("GET", "/api/v1/system/stats/history?from=10&to=5", "", 422, "query.to"),
            ("GET", "/api/v1/system/stats/history?metrics=cpu.percent,nope", "", 422, "query.metrics"),
            ("GET", "/api/v1/system/stats/history?metrics=" + Array(repeating: "cpu.percent", count: 33).joined(separator: ","), "", 422, "query.metrics"),
            ("GET", "/api/v1/system/stats/history?metrics=cpu.percent,,memory.percent", "", 422, "query.metrics[1]"),
            ("GET", "/api/v1/system/processes?sort=name", "", 422, "query.sort"),
            ("GET", "/api/v1/system/processes?limit=501", "", 422, "query.limit"),
            ("GET", "/api/v1/system/processes?limit=-1", "", 422, "query.limit"),
            ("GET", "/api/v1/system/stats/saved?limit=1001", "", 422, "query.limit"),
            ("GET", "/api/v1/system/stats/saved/0", "", 422, "path.id"),
            ("GET", "/api/v1/system/stats/saved/abc", "", 422, "path.id"),
            ("GET", "/api/v1/system/stats/saved/9223372036854775808", "", 422, "path.id"),
            ("POST", "/api/v1/system/stats/save", "{\"label\": 5}", 422, "body.label"),
            ("POST", "/api/v1/system/stats/save", "{\"label\": null}", 422, "body.label"),
            ("POST", "/api/v1/system/stats/save", "{\"label\": \"\(String(repeating: "é", count: 201))\"}", 422, "body.label"),
            ("POST", "/api/v1/system/stats/save", "{\"label\": \"x\", \"tags\": []}", 422, "body.tags"),
            ("POST", "/api/v1/system/stats/save", "[]", 422, "body"),
            ("POST", "/api/v1/system/stats/save", "\"label\"", 422, "body"),
            ("POST", "/api/v1/system/stats/save", "{\"label\": ", 400, nil),
            ("POST", "/api/v1/system/stats/save", "{\"label\": \"a\"} x", 400, nil),
            ("POST", "/api/v1/system/stats/save", "\u{FF}", 400, nil),
            ("GET", "/ws?topics=system_stats,nope", "", 422, "query.topics[1]"),
        ]
        for (method, target, body, status, field) in table {
            let r = send(method, target, body: body)
            XCTAssertEqual(r.status, status, "\(method) \(target) \(body)")
            let doc = try json(r)
            XCTAssertNotNil(doc["error"]?["code"]?.stringValue, target)
            XCTAssertFalse(doc["error"]?["message"]?.stringValue?.isEmpty ?? true, target)
            if let field {
                XCTAssertEqual(doc["error"]?["details"]?["field"]?.stringValue, field, "\(target) \(body)")
                XCTAssertNotNil(doc["error"]?["details"]?["allowed"]?.stringValue, target)
            }
        }
        // Refused input changed nothing.
        XCTAssertEqual(try app.store?.savedSnapshots().count, 0)
    }

    func testValidInputReachesTheHandlerWithDefaults() throws {
        let p = try json(send("GET", "/api/v1/system/processes"))
        XCTAssertEqual(p["sort"]?.stringValue, "cpu")
        XCTAssertEqual(p["limit"]?.intValue, 20)
        XCTAssertEqual(try json(send("GET", "/api/v1/system/processes?sort=memory&limit=3"))["limit"]?.intValue, 3)
        let h = send("GET", "/api/v1/system/stats/history?metrics=cpu.percent&points=7")
        XCTAssertEqual(h.status, 200, String(decoding: h.body, as: UTF8.self))
        XCTAssertEqual(try json(h)["points"]?.intValue, 7)
        XCTAssertEqual(send("POST", "/api/v1/system/stats/save").status, 201)
        XCTAssertEqual(send("POST", "/api/v1/system/stats/save", body: "{\"label\": null}").status, 422)
        XCTAssertEqual(send("POST", "/api/v1/system/stats/save", body: "{}").status, 201)
        XCTAssertEqual(send("GET", "/api/v1/system/stats/saved/9223372036854775807").status, 404)
        XCTAssertEqual(send("GET", "/api/v1/system/stats/history?hours=0.0000000001").status, 200)
    }

    func openAPI() throws -> JSONValue { try json(send("GET", "/api/v1/openapi.json")) }

    func testEveryRegisteredRouteIsInTheOpenAPIDocument() throws {
        let paths = try XCTUnwrap(openAPI()["paths"]?.objectValue)
        for route in router.all {
            XCTAssertNotNil(paths[route.pattern]?[route.method.lowercased()], "\(route.method) \(route.pattern) missing from openapi.json")
        }
        let documented = paths.flatMap { p, ops in (ops.objectValue ?? [:]).keys.map { "\($0.uppercased()) \(p)" } }
        XCTAssertEqual(Set(documented), Set(router.all.map { "\($0.method) \($0.pattern)" }))
    }

    func testOpenAPIDocumentIsValidAndPathParametersMatchPatterns() throws {
        let doc = try openAPI()
        XCTAssertEqual(doc["openapi"]?.stringValue, "3.1.0")
        XCTAssertEqual(doc["servers"]?.arrayValue?.first?["url"]?.stringValue, "/")
        XCTAssertEqual(doc["components"]?["securitySchemes"]?["bearerAuth"]?["scheme"]?.stringValue, "bearer")
        XCTAssertNotNil(doc["components"]?["schemas"]?["Error"])
        for (path, ops) in try XCTUnwrap(doc["paths"]?.objectValue) {
            let names = Set(path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
            for (method, op) in try XCTUnwrap(ops.objectValue) {
                let params = op["parameters"]?.arrayValue ?? []
                let inPath = params.filter { $0["in"]?.stringValue == "path" }
                XCTAssertEqual(Set(inPath.compactMap { $0["name"]?.stringValue }), names, "\(method) \(path)")
                XCTAssertTrue(inPath.allSatisfy { $0["required"] == .bool(true) }, "\(method) \(path)")
                let responses = try XCTUnwrap(op["responses"]?.objectValue, "\(method) \(path)")
                XCTAssertTrue(responses.keys.contains { $0.hasPrefix("2") || $0 == "101" }, "\(method) \(path) has no success answer")
            }
        }
        // Admin routes carry the bearer scheme; reads are open on this loopback config.
        XCTAssertEqual(doc["paths"]?["/api/v1/system/stats/save"]?["post"]?["security"]?.arrayValue?.count, 1)
        XCTAssertNotNil(doc["paths"]?["/api/v1/system/stats/save"]?["post"]?["responses"]?["403"])
        XCTAssertEqual(doc["paths"]?["/api/v1/system/stats"]?["get"]?["security"]?.arrayValue?.count, 0)
    }

    func testIndexIsBuiltAfterEveryRoute() throws {
        let routes = try XCTUnwrap(json(send("GET", "/api/v1"))["routes"]?.arrayValue)
        let listed = Set(routes.compactMap { r in r["path"]?.stringValue })
        for route in router.all { XCTAssertTrue(listed.contains(route.pattern), route.pattern) }
        XCTAssertTrue(listed.contains("/ws"))
        XCTAssertTrue(listed.contains("/api/v1/ws/stats"))
        XCTAssertEqual(send("GET", "/").body, send("GET", "/api/v1").body)
    }

    func testStatsAnswerMatchesItsDeclaredSchema() throws {
        let snap = try json(send("GET", "/api/v1/system/stats"))
        XCTAssertNoThrow(try SchemaValidator.validate(snap, SnapshotSchema.snapshot, at: "stats"))
        XCTAssertNoThrow(try SchemaValidator.validate(try json(send("GET", "/api/v1/system/health")), ResponseSchemas.health, at: "health"))
        XCTAssertNoThrow(try SchemaValidator.validate(try json(send("GET", "/api/v1/system/processes")), ResponseSchemas.processes, at: "p"))
        XCTAssertNoThrow(try SchemaValidator.validate(try json(send("GET", "/api/v1/ws/stats")), ResponseSchemas.webSocketStats, at: "ws"))
        XCTAssertNoThrow(try SchemaValidator.validate(try json(send("GET", "/api/v1/system/stats/history")), ResponseSchemas.history, at: "h"))
        XCTAssertNoThrow(try SchemaValidator.validate(try json(send("GET", "/api/v1/system/stats/saved/1")), ResponseSchemas.error, at: "e"))
        // And the schema is strict enough to notice drift.
        var changed = try XCTUnwrap(snap.objectValue)
        changed["surprise"] = .bool(true)
        XCTAssertThrowsError(try SchemaValidator.validate(.object(changed), SnapshotSchema.snapshot, at: "stats"))
    }

    /// Every status the daemon can send has a real reason phrase: those the OpenAPI document
    /// declares and every literal status written in the sources.
    func testEveryStatusHasAReasonPhrase() throws {
        var statuses = Set<Int>()
        for (_, ops) in try XCTUnwrap(openAPI()["paths"]?.objectValue) {
            for (_, op) in ops.objectValue ?? [:] { for k in op["responses"]?.objectValue?.keys ?? [:].keys { if let n = Int(k) { statuses.insert(n) } } }
        }
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        XCTAssertGreaterThan(files.count, 20)
        let pattern = try NSRegularExpression(pattern: #"(?:\.error\(|status: |HTTP/1\.1 )([1-5][0-9][0-9])\b"#)
        for f in files {
            let text = try String(contentsOf: f, encoding: .utf8)
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                statuses.insert(Int((text as NSString).substring(with: m.range(at: 1)))!)
            }
        }
        XCTAssertTrue(statuses.isSuperset(of: [101, 200, 201, 400, 401, 403, 404, 405, 422, 503, 507]), "\(statuses.sorted())")
        for s in statuses.sorted() {
            XCTAssertFalse(HTTPResponse.reason(s).hasPrefix("Status "), "status \(s) has no reason phrase")
        }
    }

    func testSchemaValidatorRules() {
        let s = Schema.object(["n": .integer(1...5)], optional: ["tags": .array(.oneOf(["a", "b"]), maxItems: 2), "x": Schema.number().orNull])
        func field(_ text: String) -> String? {
            do { try SchemaValidator.validate(try JSONValue.parse(Array(text.utf8)), s, at: "body"); return nil }
            catch let e as ValidationIssue { return e.field } catch { return "parse" }
        }
        XCTAssertNil(field(#"{"n": 3}"#))
        XCTAssertNil(field(#"{"n": 3, "x": null, "tags": ["a"]}"#))
        XCTAssertEqual(field(#"{}"#), "body.n")
        XCTAssertEqual(field(#"{"n": 3.5}"#), "body.n")
        XCTAssertEqual(field(#"{"n": 6}"#), "body.n")
        XCTAssertEqual(field(#"{"n": 1, "tags": ["a", "c"]}"#), "body.tags[1]")
        XCTAssertEqual(field(#"{"n": 1, "tags": ["a", "b", "a"]}"#), "body.tags")
        XCTAssertEqual(field(#"{"n": 1, "zzz": 1}"#), "body.zzz")
    }
}
