/// RFC 4648 base64 decoding, for the literals the build embeds (the daemon links no Foundation).
enum Base64 {
    private static let table: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() { t[Int(c)] = UInt8(i) }
        return t
    }()

    /// nil on a character outside the alphabet or a length that is not a multiple of 4.
    static func decode(_ text: String) -> [UInt8]? {
        let src = Array(text.utf8)
        guard src.count % 4 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(src.count / 4 * 3)
        var i = 0
        while i < src.count {
            var quad: UInt32 = 0
            var pad = 0
            for j in 0..<4 {
                let c = src[i + j]
                if c == UInt8(ascii: "=") { pad += 1; quad <<= 6; continue }
                guard pad == 0 else { return nil }
                let v = table[Int(c)]
                guard v != 0xFF else { return nil }
                quad = quad << 6 | UInt32(v)
            }
            guard pad <= 2, pad == 0 || i + 4 == src.count else { return nil }
            out.append(UInt8(quad >> 16 & 0xFF))
            if pad < 2 { out.append(UInt8(quad >> 8 & 0xFF)) }
            if pad < 1 { out.append(UInt8(quad & 0xFF)) }
            i += 4
        }
        return out
    }
}
