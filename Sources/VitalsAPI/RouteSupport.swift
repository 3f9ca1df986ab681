import VitalsSupport
import VitalsTransport
import VitalsCore
/// Answers and checks that several routes share, so each says the same thing the same way.
extension VitalsApp {
    /// 503 when the history database could not be opened at start.
    var historyUnavailable: HTTPResponse {
        .error(503, "history_unavailable", "the history database is not open: \(storeOpenError ?? "unknown error")")
    }

    static let noSampleYet = HTTPResponse.error(503, "no_sample_yet", "the first sample has not been taken yet")
}

/// A query parameter that is not what the route accepts; `response` is the 400 to send.
struct InvalidParameter: Error {
    let response: HTTPResponse
}

/// An optional integer query parameter within `range`, or `defaultValue` when absent.
func intParameter(_ query: [String: String], _ name: String, in range: ClosedRange<Int>, default defaultValue: Int) throws(InvalidParameter) -> Int {
    guard let raw = query[name] else { return defaultValue }
    guard let n = Int(raw), range.contains(n) else {
        throw InvalidParameter(response: .error(400, "invalid_parameter",
                                                "\(name)=\(raw) must be an integer from \(range.lowerBound) to \(range.upperBound)"))
    }
    return n
}
