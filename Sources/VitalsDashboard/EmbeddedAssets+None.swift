// The fuzz build (VITALS_FUZZ=1, see Package.swift) has no EmbedAssets plugin: the
// dashboard is then served with no files. Every other build embeds them.
#if VITALS_NO_EMBED
extension EmbeddedAssets {
    static let files: [EmbeddedAssets.Encoded] = []
}
#endif
