/// The dashboard's files as the build embedded them. `files` is written by the EmbedAssets
/// plugin (`vitals-embed`, one entry per file in `Assets/`); decoding happens once, on first use.
public enum EmbeddedAssets {
    struct Encoded {
        let name: String
        let contentType: String
        /// FNV-1a 64 of the bytes and their length, in hex: changes whenever a byte does.
        let tag: String
        let base64: String
        /// nil when gzip would not make the file smaller.
        let gzipBase64: String?
    }

    /// Every embedded file, decoded, by name.
    public static let assets: StaticAssets = StaticAssets(files.map { f in
        StaticAsset(name: f.name, contentType: f.contentType, tag: f.tag,
                    identity: Base64.decode(f.base64) ?? [],
                    gzip: f.gzipBase64.flatMap(Base64.decode))
    })
}
