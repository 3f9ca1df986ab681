import Glibc
import Synchronization
import VitalsSupport
import VitalsCore
import VitalsAPI

/// The command's pid once started, for the signal handler to pass signals on; before
/// that, the signal that asked to stop while the job waited in the queue.
let runChildPid = Atomic<Int32>(0)
let runStopSignal = Atomic<Int32>(0)

/// `vitals run [options] -- CMD ARGS`: admission from the local daemon (waiting in its
/// queue), then CMD on the chosen GPU as that job, ended with CMD's exit status.
enum RunCommand {
    static let passedSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]

    static func say(_ s: String) {
        let line = "vitals run: \(s)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }

    /// "12G", "512M", "1.5T" or plain bytes.
    static func parseSize(_ s: String) -> UInt64? {
        let units: [Character: Double] = ["K": 1024, "M": 1_048_576, "G": 1_073_741_824, "T": 1_099_511_627_776]
        var text = s.uppercased()
        if text.hasSuffix("IB") { text.removeLast(2) } else if text.hasSuffix("B") { text.removeLast() }
        var factor = 1.0
        if let u = text.last, let f = units[u] { factor = f; text.removeLast() }
        guard let n = Double(text), n.isFinite, n >= 0 else { return nil }
        return UInt64(n * factor)
    }

    /// The job's request body from the options.
    static func body(_ options: [String], command: [String]) -> Result<[UInt8], ConfigError> {
        var w = JSONWriter()
        w.beginObject()
        var name = command.map { $0.split(separator: "/").last.map(String.init) ?? $0 }.joined(separator: " ")
        if name.count > 200 { name = String(name.prefix(200)) }
        var queue = true
        var fields: [(String, String)] = []
        var i = 0
        while i < options.count {
            var flag = options[i], value = ""
            if let eq = flag.firstIndex(of: "=") { value = String(flag[flag.index(after: eq)...]); flag = String(flag[..<eq]) }
            else if flag != "--no-queue" { i += 1; value = options[i] }
            switch flag {
            case "--no-queue": queue = false
            case "--name": name = value
            case "--vram":
                guard let b = parseSize(value) else { return .failure(ConfigError("--vram \(value): must be bytes or a size like 12G")) }
                fields.append(("vram_bytes", String(b)))
            case "--gpu":
                fields.append(("gpu", Int(value) != nil ? value : "\"\(value)\""))
            case "--kind", "--model", "--quantization", "--offload":
                fields.append((String(flag.dropFirst(2)), "\"\(value)\""))
            default:
                guard Int(value) != nil else { return .failure(ConfigError("\(flag) \(value): must be an integer")) }
                fields.append((String(flag.dropFirst(2)), value))
            }
            i += 1
        }
        w.field("name", name)
        w.field("pid", Int(getpid()))
        w.field("queue", queue)
        w.key("labels"); w.beginObject(); w.field("command", String(command.joined(separator: " ").prefix(200))); w.endObject()
        for (k, v) in fields { w.key(k); w.raw(Array(v.utf8)) }
        w.endObject()
        return .success(w.bytes)
    }

    static func run(_ c: VitalsConfig, options: [String], command: [String]) -> Never {
        // main blocked the stop signals for the daemon's sigwait; here they are passed on.
        var set = sigset_t()
        sigemptyset(&set)
        for s in passedSignals { sigaddset(&set, s) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for s in passedSignals {
            signal(s) { sig in
                let pid = runChildPid.load(ordering: .relaxed)
                if pid > 0 { kill(pid, sig) } else { runStopSignal.store(sig, ordering: .relaxed) }
            }
        }

        let token = c.jobTokens.first ?? c.adminTokens.first ?? (try? AdminTokenFile.read(c))
        let client = DaemonClient(config: c, token: token)
        let request: [UInt8]
        switch body(options, command: command) {
        case .success(let b): request = b
        case .failure(let e): fail(e.description)
        }
        var job: JSONValue
        do {
            let r = try client.request("POST", "/api/v1/jobs", body: request)
            let answer = (try? JSONValue.parse(r.body)) ?? .null
            switch r.status {
            case 201: job = answer
            case 202:
                job = waitInQueue(client, answer)
            case 409:
                say(answer["error"]?["message"]?.stringValue ?? "refused")
                for s in answer["suggestions"]?.arrayValue ?? [] { say("  suggestion: " + (s["message"]?.stringValue ?? "")) }
                exit(75)
            default:
                fail("the daemon answered \(r.status): " + String(decoding: r.body, as: UTF8.self), code: 1)
            }
        } catch {
            fail(error.description, code: 1)
        }
        let id = job["id"]?.intValue ?? 0
        var env: [String: String] = [:]
        if let gpu = job["gpu"]?.intValue { env["CUDA_VISIBLE_DEVICES"] = job["gpu_uuid"]?.stringValue ?? String(gpu) }
        env["VITALS_JOB_ID"] = String(id)
        let status = spawnAndWait(command, env: env)
        let end: (String, String?)
        switch status {
        case .exited(0): end = ("complete", nil)
        case .exited(let code): end = ("fail", "exit status \(code)")
        case .signaled(let sig): end = ("fail", "killed by signal \(sig)")
        case .notStarted(let why): end = ("fail", why); say(why)
        }
        var w = JSONWriter()
        if let e = end.1 { w.beginObject(); w.field("error", e); w.endObject() }
        do {
            let r = try client.request("POST", "/api/v1/jobs/\(id)/\(end.0)", body: end.1 == nil ? nil : w.bytes)
            if r.status != 200 { say("could not end job \(id): \(r.status) " + String(decoding: r.body, as: UTF8.self)) }
        } catch {
            say("could not end job \(id): \(error.description)")
        }
        switch status {
        case .exited(let code): exit(code)
        case .signaled(let sig): exit(128 + sig)
        case .notStarted: exit(127)
        }
    }

    /// Polls the job until it runs; a line on stderr whenever its position changes.
    static func waitInQueue(_ client: DaemonClient, _ first: JSONValue) -> JSONValue {
        let id = first["id"]?.intValue ?? 0
        var job = first
        var lastPosition = -1
        while true {
            let sig = runStopSignal.load(ordering: .relaxed)
            if sig != 0 {
                _ = try? client.request("POST", "/api/v1/jobs/\(id)/cancel", body: nil)
                say("job \(id) cancelled while queued")
                exit(128 + sig)
            }
            switch job["state"]?.stringValue {
            case "running": return job
            case "queued":
                let p = job["queue_position"]?.intValue ?? 0
                if p != lastPosition { say("job \(id) queued at position \(p); waiting for GPU memory"); lastPosition = p }
            default:
                fail("job \(id) is \(job["state"]?.stringValue ?? "unknown") before it started", code: 1)
            }
            usleep(250_000)
            do {
                let r = try client.get("/api/v1/jobs/\(id)")
                if r.status == 200, let v = try? JSONValue.parse(r.body) { job = v }
            } catch {
                say("the daemon did not answer (\(error.description)); still waiting")
            }
        }
    }

    enum Status { case exited(Int32), signaled(Int32), notStarted(String) }

    static func spawnAndWait(_ command: [String], env extra: [String: String]) -> Status {
        var envList: [String] = []
        var e = environ
        while let entry = e.pointee {
            let kv = String(cString: entry)
            let key = kv.split(separator: "=", maxSplits: 1).first.map(String.init) ?? kv
            if extra[key] == nil { envList.append(kv) }
            e += 1
        }
        for (k, v) in extra { envList.append("\(k)=\(v)") }
        let argv = command.map { strdup($0) } + [nil]
        let envp = envList.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) }; for p in envp { free(p) } }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // The child starts with no blocked signals and SIGPIPE back at its default.
        var none = sigset_t(); sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)
        var defaults = sigset_t(); sigemptyset(&defaults); sigaddset(&defaults, SIGPIPE)
        for s in passedSignals { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, command[0], nil, &attr, argv, envp)
        guard rc == 0 else { return .notStarted("cannot run \(command[0]): \(String(cString: strerror(rc)))") }
        runChildPid.store(pid, ordering: .relaxed)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return .notStarted("waitpid: \(String(cString: strerror(errno)))") }
        }
        runChildPid.store(0, ordering: .relaxed)
        if status & 0x7f == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(status & 0x7f)
    }
}
