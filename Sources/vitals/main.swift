import Glibc
import VitalsSupport
import VitalsTransport
import VitalsCore
import VitalsAPI

// Block the stop signals before any thread starts so every thread inherits the mask;
// the main thread then waits for them with sigwait and shuts down in order.
var stopSignals = sigset_t()
sigemptyset(&stopSignals)
sigaddset(&stopSignals, SIGINT)
sigaddset(&stopSignals, SIGTERM)
pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
signal(SIGPIPE, SIG_IGN)
// Everything the daemon creates (database, WAL, token file) is private to its user.
umask(0o077)

func fail(_ message: String, code: Int32 = 2) -> Never {
    let line = "vitals: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(code)
}

var environment: [String: String] = [:]
var envp = environ
while let entry = envp.pointee {
    let kv = String(cString: entry)
    if let eq = kv.firstIndex(of: "=") { environment[String(kv[..<eq])] = String(kv[kv.index(after: eq)...]) }
    envp += 1
}

let action: LaunchAction
do {
    action = try ConfigLoader.load(arguments: Array(CommandLine.arguments.dropFirst()), environment: environment)
} catch {
    // check-config promises exit 1 for an invalid config; the daemon's usage errors are 2.
    fail(error.description, code: CommandLine.arguments.dropFirst().first == "check-config" ? 1 : 2)
}

switch action {
case .help:
    print(ConfigLoader.usage)
    exit(0)
case .commandHelp(let text):
    print(text)
    exit(0)
case .checkConfig(let config):
    Commands.checkConfig(config)
case .token(let config, let rotate):
    Commands.token(config, rotate: rotate)
case .status(let config):
    Commands.status(config)
case .runJob(let config, let options, let command):
    RunCommand.run(config, options: options, command: command)
case .version:
    print("vitals \(VitalsApp.version)")
    exit(0)
case .run(var config):
    Log.setLevel(config.logLevel)
    Log.setFormat(config.logFormat)
    if !config.unknownEnvironment.isEmpty {
        Log.warn("unknown VITALS_* environment variables ignored", ["names": config.unknownEnvironment.joined(separator: ",")])
    }
    let fdLimit = raiseFileDescriptorLimit()
    // More connections than descriptors would only end in failed accepts; keep headroom
    // for the database, NVML and /proc reads.
    if fdLimit > 0 && config.maxConnections > fdLimit - 64 {
        Log.warn("limits.max_connections lowered to fit the file descriptor limit",
                 ["configured": config.maxConnections, "fd_limit": fdLimit, "now": max(16, fdLimit - 64)])
        config.maxConnections = max(16, fdLimit - 64)
    }
    let app: VitalsApp
    do {
        app = try VitalsApp(config: config)
    } catch {
        fail(error.description)
    }
    let port: Int
    do {
        port = try app.start()
    } catch {
        fail(error.description, code: 1)
    }
    let host = config.listenAddress.contains(":") ? "[\(config.listenAddress)]" : config.listenAddress
    Log.info("listening", ["url": "http://\(host):\(port)/", "database": config.databasePath,
                           "interval_ms": config.samplingIntervalMs, "fd_limit": fdLimit])
    if let tokenFile = app.auth.generatedTokenFile {
        Log.info("admin token for POST routes", ["file": tokenFile])
    }
    SystemdNotify.send("READY=1\nSTATUS=serving on port \(port)")

    var received: Int32 = 0
    sigwait(&stopSignals, &received)
    Log.info("stopping", ["signal": received == SIGINT ? "SIGINT" : "SIGTERM"])
    SystemdNotify.send("STOPPING=1")
    app.stop()
    Log.info("stopped; history flushed")
    exit(0)
}
