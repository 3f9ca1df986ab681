import VitalsSupport
import VitalsTransport

/// Routes with their declarations, collected from the providers, then turned into the
/// transport's Router. Validation is wrapped around a handler here, once, and only for
/// routes that declare input: a route without parameters (`GET /api/v1/system/stats`)
/// goes to its handler with no validation work on the way.
public struct RouteTable: Sendable {
    public enum Handler: Sendable {
        /// Answered on the I/O thread: must be fast and never block.
        case inline(@Sendable (ValidatedInput) -> HTTPResponse)
        /// Touches disk or takes longer: runs on the worker pool.
        case worker(@Sendable (ValidatedInput) -> HTTPResponse)
        case upgrade(@Sendable (ValidatedInput) -> UpgradeDecision)
        /// A fixed JSON body derived from the complete table (route index, OpenAPI), built
        /// once after every provider has registered, so it cannot miss a later route.
        case document(@Sendable ([RouteSpec]) -> [UInt8])
        /// A handler made once the table is complete, for a route that answers either such a
        /// document or something else by request (`/`: the dashboard for a browser, else the index).
        case built(@Sendable ([RouteSpec]) -> @Sendable (ValidatedInput) -> HTTPResponse)
    }

    public internal(set) var entries: [(spec: RouteSpec, handler: Handler)] = []

    public init() {}

    public mutating func add(_ spec: RouteSpec, _ handler: Handler) {
        precondition(!entries.contains { $0.spec.method == spec.method && $0.spec.path == spec.path },
                     "route \(spec.method) \(spec.path) registered twice")
        entries.append((spec, handler))
    }

    public mutating func add(_ provider: some RouteProvider) { provider.register(in: &self) }

    public var specs: [RouteSpec] { entries.map(\.spec) }

    public func makeRouter() -> Router {
        let specs = self.specs
        var r = Router()
        for (spec, handler) in entries {
            let action: RouteAction
            switch handler {
            case .inline(let h): action = .inline(Self.validating(spec, h))
            case .worker(let h): action = .worker(Self.validating(spec, h))
            case .upgrade(let h):
                action = .upgrade { req in
                    switch RequestValidator.validate(spec, req) {
                    case .success(let input): return h(input)
                    case .failure(let resp): return .reject(resp)
                    }
                }
            case .document(let build):
                let body = build(specs)
                action = .inline { _ in .json(body) }
            case .built(let make):
                action = .inline(Self.validating(spec, make(specs)))
            }
            r.add(spec.method, spec.path, access: spec.access, action)
        }
        return r
    }

    private static func validating(_ spec: RouteSpec, _ h: @escaping @Sendable (ValidatedInput) -> HTTPResponse)
        -> @Sendable (HTTPRequest) -> HTTPResponse {
        guard spec.hasInput else { return { req in h(ValidatedInput(request: req)) } }
        return { req in
            switch RequestValidator.validate(spec, req) {
            case .success(let input): return h(input)
            case .failure(let resp): return resp
            }
        }
    }
}
