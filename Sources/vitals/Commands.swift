import Glibc
import VitalsSupport
import VitalsCore
import VitalsAPI

/// `vitals check-config`, `vitals token` and `vitals status`: small tools beside the daemon.
enum Commands {
    static func printOut(_ s: String) {
        let line = s.hasSuffix("\n") ? s : s + "\n"
        _ = line.withCString { write(1, $0, strlen($0)) }
    }

    /// Valid: the effective config (tokens masked), exit 0. The daemon's own start-up
    /// checks run too (a non-loopback bind needs a token), so "valid" means it would start.
    static func checkConfig(_ c: VitalsConfig) -> Never {
        if !c.isLoopbackBind && c.adminTokens.isEmpty && c.readTokens.isEmpty && c.tokenFile == nil {
            fail("config: server.listen = \"\(c.listenAddress)\" is not a loopback address, so a token is required: set auth.admin_tokens, auth.read_tokens or auth.token_file", code: 1)
        }
        printOut(ConfigLoader.effectiveJSON(c))
        exit(0)
    }

    static func token(_ c: VitalsConfig, rotate: Bool) -> Never {
        do {
            if rotate {
                printOut(try AdminTokenFile.rotate(c))
            } else {
                printOut(try AdminTokenFile.read(c))
            }
            exit(0)
        } catch {
            fail(error.description + (rotate ? "" : " (the daemon writes it on first start when no admin token is configured)"), code: 1)
        }
    }

    /// The token the CLI presents: a configured read or admin token, else the generated file.
    static func cliToken(_ c: VitalsConfig) -> String? {
        c.readTokens.first ?? c.adminTokens.first ?? (try? AdminTokenFile.read(c))
    }

    static func status(_ c: VitalsConfig) -> Never {
        let client = DaemonClient(config: c, token: cliToken(c))
        do {
            let health = try client.get("/api/v1/system/health")
            let stats = try client.get("/api/v1/system/stats")
            guard health.status == 200, stats.status == 200 else {
                fail("the daemon at \(client.host):\(client.port) answered \(health.status)/\(stats.status): "
                     + String(decoding: health.status == 200 ? stats.body : health.body, as: UTF8.self), code: 1)
            }
            let h = try JSONValue.parse(health.body), s = try JSONValue.parse(stats.body)
            printOut(StatusScreen.render(health: h, stats: s, address: "\(client.host):\(client.port)"))
            exit(0)
        } catch let e as DaemonClient.Failure {
            fail(e.description, code: 1)
        } catch {
            fail("unreadable answer from the daemon: \(error)", code: 1)
        }
    }
}
