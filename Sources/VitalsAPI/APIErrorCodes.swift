import VitalsTransport

/// The API's own error codes, beside the transport's (see ErrorCode for why one struct).
/// Every `code` an API route can send is declared here and nowhere else.
extension ErrorCode {
    /// The body is not JSON at all (400).
    public static let malformedJSON = ErrorCode(rawValue: "malformed_json")
    /// A query or path parameter is well formed but not accepted (422).
    public static let invalidParameter = ErrorCode(rawValue: "invalid_parameter")
    /// A JSON body is well formed but not accepted (422).
    public static let invalidBody = ErrorCode(rawValue: "invalid_body")
    /// `stats/history?metrics=` names a series that is not kept (422).
    public static let unknownMetric = ErrorCode(rawValue: "unknown_metric")
    public static let historyUnavailable = ErrorCode(rawValue: "history_unavailable")
    public static let historyQueryFailed = ErrorCode(rawValue: "history_query_failed")
    public static let noSampleYet = ErrorCode(rawValue: "no_sample_yet")
    /// A client past its rate limit (state-changing requests, failed authentications).
    public static let tooManyRequests = ErrorCode(rawValue: "too_many_requests")
    public static let saveFailed = ErrorCode(rawValue: "save_failed")
    /// `apply-preset` refused: the preset's peak fits no GPU (409; `force=true` overrides).
    public static let presetDoesNotFit = ErrorCode(rawValue: "preset_does_not_fit")
    /// A job that cannot start now (queue: false) or ever here (409, with the reasons).
    public static let jobRefused = ErrorCode(rawValue: "job_refused")
    /// Progress or an end for a job that is queued or has ended (409).
    public static let jobNotRunning = ErrorCode(rawValue: "job_not_running")
}

extension ErrorCode {
    /// A rule of this name exists already (POST /api/v1/alerts/rules: use PUT to replace it).
    public static let ruleExists = ErrorCode(rawValue: "rule_exists")
    /// The alerting part needs the database, which is not open.
    public static let alertsUnavailable = ErrorCode(rawValue: "alerts_unavailable")
}
