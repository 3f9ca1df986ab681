import VitalsSupport
import VitalsTransport

/// Everything a route declares about itself: its input (validated before the handler
/// runs) and its answers (for the OpenAPI document). One declaration, two uses.
public struct RouteSpec: Sendable {
    public var method: String
    public var path: String
    public var access: RouteAccess
    public var summary: String
    public var tag: String
    public var query: [Parameter] = []
    public var pathParameters: [Parameter] = []
    public var body: RequestBody? = nil
    public var responses: [ResponseSpec] = []

    public struct Parameter: Sendable {
        public let name: String
        public let schema: Schema
        public let required: Bool
        public init(_ name: String, _ schema: Schema, required: Bool = false) {
            self.name = name; self.schema = schema; self.required = required
        }
    }

    public struct RequestBody: Sendable {
        public let schema: Schema
        /// An empty body is allowed when false (POST .../save with no label).
        public let required: Bool
        public let example: String?
    }

    public init(_ method: String, _ path: String, access: RouteAccess = .read, tag: String, summary: String) {
        self.method = method; self.path = path; self.access = access; self.tag = tag; self.summary = summary
    }

    public static func get(_ path: String, tag: String, _ summary: String) -> RouteSpec { RouteSpec("GET", path, tag: tag, summary: summary) }
    public static func post(_ path: String, tag: String, _ summary: String) -> RouteSpec {
        RouteSpec("POST", path, access: .admin, tag: tag, summary: summary)
    }

    // MARK: chained declaration

    /// Served with no token even where reads need one: for files that carry no data.
    public func openToAnyone() -> RouteSpec {
        var s = self; s.access = .anyone; return s
    }

    public func query(_ name: String, _ schema: Schema, required: Bool = false) -> RouteSpec {
        var s = self; s.query.append(Parameter(name, schema, required: required)); return s
    }
    public func path(_ name: String, _ schema: Schema) -> RouteSpec {
        var s = self; s.pathParameters.append(Parameter(name, schema, required: true)); return s
    }
    public func body(_ schema: Schema, required: Bool, example: String? = nil) -> RouteSpec {
        var s = self; s.body = RequestBody(schema: schema, required: required, example: example); return s
    }
    public func responds(_ status: Int, _ description: String, json schema: Schema) -> RouteSpec {
        var s = self; s.responses.append(ResponseSpec(status: status, description: description, content: .json(schema))); return s
    }
    public func responds(_ status: Int, _ description: String, contentType: String) -> RouteSpec {
        var s = self; s.responses.append(ResponseSpec(status: status, description: description, content: .other([contentType]))); return s
    }
    /// An answer whose media type depends on the request (the file asked for, `Accept`):
    /// JSON with its schema when `json` is given, and each of `contentTypes`.
    public func responds(_ status: Int, _ description: String, json schema: Schema? = nil, contentTypes: [String]) -> RouteSpec {
        var s = self
        let content: ResponseSpec.Content = schema.map { .jsonOr($0, contentTypes) } ?? .other(contentTypes)
        s.responses.append(ResponseSpec(status: status, description: description, content: content)); return s
    }
    /// An answer with no content (304 Not Modified).
    public func responds(_ status: Int, _ description: String) -> RouteSpec {
        var s = self; s.responses.append(ResponseSpec(status: status, description: description, content: .none)); return s
    }
    /// An error answer in the one error shape; `codes` lists the `error.code` values it carries.
    public func fails(_ status: Int, _ description: String, _ codes: ErrorCode...) -> RouteSpec {
        var s = self; s.responses.append(ResponseSpec(status: status, description: description, content: .error(codes))); return s
    }
    public func switchesProtocols(_ description: String) -> RouteSpec {
        var s = self; s.responses.append(ResponseSpec(status: 101, description: description, content: .none)); return s
    }

    /// Whether the route has input to check; the others skip validation entirely.
    var hasInput: Bool { !query.isEmpty || !pathParameters.isEmpty || body != nil }
}

public struct ResponseSpec: Sendable {
    public enum Content: Sendable { case json(Schema), jsonOr(Schema, [String]), error([ErrorCode]), other([String]), none }
    public let status: Int
    public let description: String
    public let content: Content
}
