import VitalsSupport
/// What a client may send on `/ws` (JSON text messages).
enum WebSocketClientMessage: Equatable {
    case subscribe([String])
    case unsubscribe([String])
    case ping

    /// nil plus a message saying what is wrong, for the `error` reply.
    static func parse(_ bytes: [UInt8]) -> Result<WebSocketClientMessage, ClientMessageError> {
        guard let doc = try? JSONValue.parse(bytes), let obj = doc.objectValue else {
            return .failure(.init("message must be a JSON object like {\"type\":\"subscribe\",\"topics\":[\"system_stats\"]}"))
        }
        guard let type = obj["type"]?.stringValue else {
            return .failure(.init("message needs a string field \"type\" (subscribe, unsubscribe or ping)"))
        }
        switch type {
        case "ping":
            return .success(.ping)
        case "subscribe", "unsubscribe":
            guard let list = obj["topics"]?.arrayValue else {
                return .failure(.init("\(type) needs \"topics\": an array of topic names"))
            }
            var names: [String] = []
            for item in list {
                guard let name = item.stringValue else {
                    return .failure(.init("\"topics\" must hold strings, found a \(item.kindName)"))
                }
                names.append(name)
            }
            return .success(type == "subscribe" ? .subscribe(names) : .unsubscribe(names))
        default:
            return .failure(.init("unknown message type \"\(type)\"; expected subscribe, unsubscribe or ping"))
        }
    }
}

struct ClientMessageError: Error, Equatable {
    let message: String
    init(_ m: String) { message = m }
}
