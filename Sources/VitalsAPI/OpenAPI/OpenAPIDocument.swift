import VitalsSupport
import VitalsTransport

/// `GET /api/v1/openapi.json`: OpenAPI 3.1 built from the same RouteSpecs that validate
/// requests, so the document cannot drift from what the server accepts.
///
/// Answers every route shares are added here rather than by each route: 401/403 follow
/// from the route's access (the transport enforces them), 422 from declared input, 400
/// from a JSON body.
enum OpenAPIDocument {
    static func build(_ specs: [RouteSpec], version: String, readsNeedToken: Bool) -> [UInt8] {
        var w = JSONWriter(capacity: 64 * 1024)
        w.beginObject()
        w.field("openapi", "3.1.0")
        w.key("info"); w.beginObject()
        w.field("title", "Vitals")
        w.field("version", version)
        w.field("description", "Live and historical figures for a GPU machine. Errors are {\"error\": {\"code\", \"message\", \"details\"}}: 400 when a body is not JSON, 422 when input is well formed but not accepted, naming the field.")
        w.endObject()
        // Relative: the document is right wherever the daemon is reached (port, proxy prefix).
        w.key("servers"); w.beginArray(); w.beginObject(); w.field("url", "/"); w.endObject(); w.endArray()
        w.key("components"); w.beginObject()
        w.key("securitySchemes"); w.beginObject()
        w.key("bearerAuth"); w.beginObject()
        w.field("type", "http")
        w.field("scheme", "bearer")
        w.field("description", readsNeedToken
                ? "An admin token for routes that change state; a read or admin token for every other route."
                : "An admin token for routes that change state; reads are open on this loopback bind.")
        w.endObject()
        w.endObject()
        w.key("schemas"); w.beginObject()
        w.key("Error"); JSONSchemaWriter.write(ResponseSchemas.error, &w)
        w.endObject()
        w.endObject()

        w.key("paths"); w.beginObject()
        var seen = Set<String>()
        for path in specs.map(\.path) where seen.insert(path).inserted {
            w.key(path); w.beginObject()
            for spec in specs where spec.path == path { writeOperation(spec, readsNeedToken: readsNeedToken, &w) }
            w.endObject()
        }
        w.endObject()
        w.endObject()
        return w.bytes
    }

    static func needsToken(_ spec: RouteSpec, readsNeedToken: Bool) -> Bool {
        switch spec.access {
        case .anyone: false
        case .read: readsNeedToken
        case .admin, .job: true
        }
    }

    /// Declared answers plus the shared ones, by status.
    static func responses(_ spec: RouteSpec, readsNeedToken: Bool) -> [ResponseSpec] {
        var out = spec.responses
        // A status already declared gains the shared codes, so the document lists every
        // `error.code` a status can carry.
        func addError(_ status: Int, _ text: String, _ codes: ErrorCode...) {
            if let i = out.firstIndex(where: { $0.status == status }) {
                if case .error(let known) = out[i].content {
                    let merged = known + codes.filter { c in !known.contains { $0.rawValue == c.rawValue } }
                    out[i] = ResponseSpec(status: status, description: out[i].description, content: .error(merged))
                }
            } else {
                out.append(ResponseSpec(status: status, description: text, content: .error(codes)))
            }
        }
        if spec.body != nil { addError(400, "the body is not valid JSON", .malformedJSON) }
        if needsToken(spec, readsNeedToken: readsNeedToken) {
            addError(400, "two Authorization headers, or a token in the query string off a WebSocket upgrade", .badRequest)
            addError(401, "no bearer token, or an unknown one", .unauthorized)
            addError(429, "too many failed authentications from this client; see Retry-After", .tooManyRequests)
        }
        if spec.access == .admin {
            addError(403, "a read token cannot change state", .forbidden)
            addError(429, "too many state-changing requests from this client; see Retry-After", .tooManyRequests)
        }
        if spec.access == .job {
            // Not limited per client like admin routes: progress comes thousands of times a second.
            addError(403, "a read token cannot change jobs", .forbidden)
        }
        if spec.hasInput { addError(422, "a parameter or the body is well formed but not accepted; details name the field", .invalidParameter, .invalidBody) }
        return out.sorted { $0.status < $1.status }
    }

    static func writeOperation(_ spec: RouteSpec, readsNeedToken: Bool, _ w: inout JSONWriter) {
        w.key(spec.method.lowercased()); w.beginObject()
        w.field("operationId", operationId(spec))
        w.field("summary", spec.summary)
        w.key("tags"); w.beginArray(); w.string(spec.tag); w.endArray()
        w.key("security"); w.beginArray()
        if needsToken(spec, readsNeedToken: readsNeedToken) {
            w.beginObject(); w.key("bearerAuth"); w.beginArray(); w.endArray(); w.endObject()
        }
        w.endArray()
        let params = spec.pathParameters.map { ("path", $0) } + spec.query.map { ("query", $0) }
        if !params.isEmpty {
            w.key("parameters"); w.beginArray()
            for (location, p) in params {
                w.beginObject()
                w.field("name", p.name)
                w.field("in", location)
                w.field("required", p.required)
                if case .array = p.schema.kind { w.field("style", "form"); w.field("explode", false) }
                if let d = p.schema.summary { w.field("description", d) }
                w.key("schema"); JSONSchemaWriter.write(p.schema, &w)
                w.endObject()
            }
            w.endArray()
        }
        if let body = spec.body {
            w.key("requestBody"); w.beginObject()
            w.field("required", body.required)
            w.key("content"); w.beginObject()
            w.key("application/json"); w.beginObject()
            w.key("schema"); JSONSchemaWriter.write(body.schema, &w)
            if let ex = body.example, let v = try? JSONValue.parse(Array(ex.utf8)) { w.key("example"); w.json(v) }
            w.endObject()
            w.endObject()
            w.endObject()
        }
        w.key("responses"); w.beginObject()
        for r in responses(spec, readsNeedToken: readsNeedToken) {
            w.key(String(r.status)); w.beginObject()
            switch r.content {
            case .json(let schema):
                w.field("description", r.description)
                w.key("content"); w.beginObject()
                w.key("application/json"); w.beginObject(); w.key("schema"); JSONSchemaWriter.write(schema, &w); w.endObject()
                w.endObject()
            case .error(let codes):
                w.field("description", codes.isEmpty ? r.description : r.description + " (code: " + codes.map(\.rawValue).joined(separator: ", ") + ")")
                w.key("content"); w.beginObject()
                w.key("application/json"); w.beginObject()
                w.key("schema"); w.beginObject(); w.field("$ref", "#/components/schemas/Error"); w.endObject()
                w.endObject()
                w.endObject()
            case .jsonOr(let schema, let types):
                w.field("description", r.description)
                w.key("content"); w.beginObject()
                w.key("application/json"); w.beginObject(); w.key("schema"); JSONSchemaWriter.write(schema, &w); w.endObject()
                for type in types { w.key(type); w.beginObject(); w.key("schema"); w.beginObject(); w.field("type", "string"); w.endObject(); w.endObject() }
                w.endObject()
            case .other(let types):
                w.field("description", r.description)
                w.key("content"); w.beginObject()
                for type in types { w.key(type); w.beginObject(); w.key("schema"); w.beginObject(); w.field("type", "string"); w.endObject(); w.endObject() }
                w.endObject()
            case .none:
                w.field("description", r.description)
            }
            w.endObject()
        }
        w.endObject()
        w.endObject()
    }

    /// `get_api_v1_system_stats_saved_id`: stable, unique per method and path.
    static func operationId(_ spec: RouteSpec) -> String {
        var id = spec.method.lowercased()
        var gap = true
        for c in spec.path {
            if c.isLetter || c.isNumber {
                if gap { id.append("_"); gap = false }
                id.append(c)
            } else {
                gap = true
            }
        }
        return id
    }
}
