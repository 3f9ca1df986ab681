import VitalsSupport
import VitalsTransport

/// Applies a route's declared input to a request: 400 when the body is not JSON at all,
/// 422 when it is well formed but not what the route accepts (as FastAPI answers), each
/// naming the field, the value and what is allowed.
public enum RequestValidator {
    public enum Outcome: Sendable { case success(ValidatedInput), failure(HTTPResponse) }

    public static func validate(_ spec: RouteSpec, _ req: HTTPRequest) -> Outcome {
        do throws(ValidationIssue) {
            var integers: [String: Int64] = [:]
            func note(_ p: RouteSpec.Parameter, _ raw: String) {
                if case .integer = p.schema.kind, let n = Int64(raw) { integers[p.name] = n }
            }
            var path: [String: JSONValue] = [:]
            for p in spec.pathParameters {
                let raw = req.pathParams[p.name] ?? ""
                path[p.name] = try SchemaValidator.coerce(raw, p.schema, at: "path.\(p.name)")
                note(p, raw)
            }
            var query: [String: JSONValue] = [:]
            if !spec.query.isEmpty {
                let raw = req.query
                for p in spec.query {
                    if let text = raw[p.name] {
                        query[p.name] = try SchemaValidator.coerce(text, p.schema, at: "query.\(p.name)")
                        note(p, text)
                    } else if p.required {
                        throw ValidationIssue(field: "query.\(p.name)", value: nil, allowed: p.schema.allowedText,
                                              message: "query.\(p.name) is required; expected \(p.schema.allowedText)")
                    } else if let d = p.schema.defaultValue {
                        query[p.name] = d
                    }
                }
            }
            var body: JSONValue? = nil
            if let b = spec.body {
                if req.body.isEmpty {
                    if b.required {
                        throw ValidationIssue(field: "body", value: nil, allowed: b.schema.allowedText,
                                              message: "body is required; expected \(b.schema.allowedText)")
                    }
                } else {
                    let doc: JSONValue
                    do throws(JSONValue.ParseError) { doc = try JSONValue.parse(req.body) } catch {
                        return .failure(HTTPResponse.error(400, .malformedJSON, "body is not valid JSON: \(error.description)"))
                    }
                    try SchemaValidator.validate(doc, b.schema, at: "body")
                    body = doc
                }
            }
            return .success(ValidatedInput(request: req, query: query, path: path, body: body, integers: integers))
        } catch {
            return .failure(unprocessable(error))
        }
    }

    /// The 422 for one issue: `details` carries `field`, `value` (when one was sent) and `allowed`.
    public static func unprocessable(_ issue: ValidationIssue, code: ErrorCode? = nil,
                                     extra: ((inout JSONWriter) -> Void)? = nil) -> HTTPResponse {
        let c = code ?? (issue.field.hasPrefix("body") ? .invalidBody : .invalidParameter)
        return .error(422, c, issue.message) { w in
            w.beginObject()
            w.field("field", issue.field)
            w.key("value")
            if let v = issue.value { w.json(v) } else { w.null() }
            w.field("allowed", issue.allowed)
            extra?(&w)
            w.endObject()
        }
    }
}
