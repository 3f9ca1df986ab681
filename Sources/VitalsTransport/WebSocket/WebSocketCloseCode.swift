import VitalsSupport
// Close status codes, RFC 6455 section 7.4 and the IANA registry.
public enum WebSocketCloseCode {
    public static let normal: UInt16 = 1000
    public static let goingAway: UInt16 = 1001
    public static let protocolError: UInt16 = 1002
    public static let unsupportedData: UInt16 = 1003
    /// Never on the wire: "no status code was present".
    public static let noStatusReceived: UInt16 = 1005
    /// Never on the wire: "closed without a close frame".
    public static let abnormalClosure: UInt16 = 1006
    public static let invalidPayload: UInt16 = 1007
    public static let policyViolation: UInt16 = 1008
    public static let messageTooBig: UInt16 = 1009
    public static let mandatoryExtension: UInt16 = 1010
    public static let internalError: UInt16 = 1011
    public static let serviceRestart: UInt16 = 1012
    public static let tryAgainLater: UInt16 = 1013
    public static let badGateway: UInt16 = 1014

    /// Whether a peer may send `code` in a close frame. 1000-1003 and 1007-1011 come
    /// from RFC 6455; 1012-1014 were registered with IANA later and browsers send
    /// them; 3000-4999 are for libraries and applications. Everything else
    /// (below 1000, 1004-1006, 1015, 1016-2999, 5000 and up) is reserved or
    /// forbidden on the wire. Autobahn 7.7.x / 7.9.x agree with this split.
    public static func isValidOnWire(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }
}
