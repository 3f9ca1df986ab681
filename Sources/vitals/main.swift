import Glibc
import CLinux
import VitalsSupport
import VitalsTransport
import VitalsCore
import VitalsAPI

// Block the signals we handle before any thread starts so every thread inherits the mask;
// the main thread then takes them with sigwait. Their default action would kill the daemon
// without flushing history or saying why: SIGHUP (a terminal closing, or someone expecting
// a reload), SIGUSR1/SIGUSR2 (sent by scripts written for other daemons) and SIGALRM.
var handledSignals = sigset_t()
sigemptyset(&handledSignals)
for s in DaemonSignal.handled { sigaddset(&handledSignals, s) }
pthread_sigmask(SIG_BLOCK, &handledSignals, nil)
signal(SIGPIPE, SIG_IGN)
// Everything the daemon creates (database, WAL, token file) is private to its user.
umask(0o077)
// Two malloc arenas, not glibc's eight per core: the daemon's threads allocate little, and
// with one arena each the soak's heap held a third more than it used (13.4 MB from the
// system for 9.0 MB in use) and kept climbing as each arena's free holes grew.
mallopt(M_ARENA_MAX, 2)

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
    while true {
        guard sigwait(&handledSignals, &received) == 0 else { continue }
        if DaemonSignal.stops(received) { break }
        if received == SIGHUP {
            reloadConfig(app, environment: environment)
        } else {
            Log.info("signal ignored", ["signal": DaemonSignal.name(received)])
        }
    }
    Log.info("stopping", ["signal": DaemonSignal.name(received)])
    SystemdNotify.send("STOPPING=1")
    let report = app.stop()
    if let report, report.lostSamples > 0 {
        Log.warn("stopped; history not fully flushed",
                 ["dropped_samples": report.lostSamples, "error": report.lastError ?? "unknown"])
    } else if app.store == nil {
        Log.info("stopped; no history database was open")
    } else {
        Log.info("stopped; history flushed")
    }
    exit(0)
}

/// SIGHUP: load the config again from the same flags, file and environment, apply what
/// can change in place (log level and format, tokens), say what waits for a restart, and
/// keep the running config when the new one is invalid. systemd sees RELOADING=1 then READY=1.
func reloadConfig(_ app: VitalsApp, environment: [String: String]) {
    SystemdNotify.send("RELOADING=1")
    defer { SystemdNotify.send("READY=1") }
    do {
        guard case .run(let new) = try ConfigLoader.load(arguments: Array(CommandLine.arguments.dropFirst()),
                                                         environment: environment) else { return }
        let outcome = try app.reload(new)
        Log.info("config reloaded", ["changed": outcome.applied.isEmpty ? "nothing" : outcome.applied.joined(separator: ",")])
        if !outcome.needRestart.isEmpty {
            Log.warn("config changes that need a restart were not applied", ["keys": outcome.needRestart.joined(separator: ",")])
        }
    } catch {
        Log.error("config reload failed; keeping the running config", ["error": error.description])
    }
}

