import VitalsTransport

/// The streaming UTF-8 validator WebSocket text frames go through. Differential oracle:
/// the standard library's decoder says whether the bytes are valid UTF-8; the validator
/// must agree, fed whole and fed in two pieces cut anywhere (a code point may straddle
/// frames). The first byte picks the cut and is not part of the text.
enum UTF8Fuzz {
    static let validator = FuzzTarget(name: "utf8") { input in
        guard let first = input.first else { return }
        let text = Array(input.dropFirst())
        let expected = String(validating: text, as: UTF8.self) != nil

        var whole = UTF8Validator()
        let wholeOK = whole.validate(text) && whole.isComplete
        if wholeOK != expected { FuzzTarget.fail("UTF8Validator says \(wholeOK), the standard library \(expected), on \(text)") }

        let cut = text.isEmpty ? 0 : Int(first) % (text.count + 1)
        var pieces = UTF8Validator()
        let piecesOK = pieces.validate(Array(text[..<cut])) && pieces.validate(Array(text[cut...])) && pieces.isComplete
        if piecesOK != expected {
            FuzzTarget.fail("UTF8Validator cut at \(cut) says \(piecesOK), the standard library \(expected), on \(text)")
        }
    }
}
