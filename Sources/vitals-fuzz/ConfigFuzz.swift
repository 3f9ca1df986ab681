import VitalsSupport
@testable import VitalsCore

/// The config loader: the input is a config file's content, through the same seam `load`
/// uses after reading the file; and, as the text of one `VITALS_*` variable (picked by the
/// input's length), through that key's environment reading and the same setter. Oracle:
/// applying a file is deterministic and idempotent (twice gives what once gave).
enum ConfigFuzz {
    static let file = FuzzTarget(name: "config") { input in
        var once = VitalsConfig()
        do throws(ConfigError) {
            try ConfigLoader.apply(fileBytes: input, to: &once, source: "fuzz.json")
            var twice = once
            try ConfigLoader.apply(fileBytes: input, to: &twice, source: "fuzz.json")
            if twice != once { FuzzTarget.fail("config applied twice differs from once") }
        } catch {
            _ = error.description
        }

        let key = ConfigSchema.keys[input.count % ConfigSchema.keys.count]
        guard let value = key.fromEnv(String(decoding: input, as: UTF8.self)) else { return }
        // server.port = 8080 becomes {"server": {"port": 8080}}, as a file would say it.
        let doc = key.path.split(separator: ".").reversed().reduce(value) { inner, part in .object([String(part): inner]) }
        var config = VitalsConfig()
        _ = try? ConfigLoader.apply(document: doc, to: &config, source: key.envName)
    }
}
