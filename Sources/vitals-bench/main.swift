import Glibc

// The measuring half of `make bench` (scripts/bench.sh drives it). Each subcommand does one
// thing the shell cannot do precisely: fill a history database fast, time HTTP requests
// without process start-up in the figure, and time a daemon from exec to its first 200.

let usage = """
    usage: vitals-bench <command> [options]
      fill-history --db PATH [--days 7]      write 7 days of synthetic history (22 host series)
      time-get --port P --path /x [-n 50]    time n GETs (new connection each); prints median/p99 ms
      rate --port P --path /x [--method POST] [--body JSON] [--rate 1000] [--seconds 10] [--connections 4] [--token T]
                                             open-loop load at a fixed rate over keep-alive connections;
                                             latency from each request's scheduled time (median/p99 ms)
      progress-load --port P --token T [--rate 5000] [--jobs 20] [--subscribers 100] [--seconds 10]
                                             job progress at a fixed rate over 20 jobs, received by
                                             WebSocket subscribers of generation_progress, checked in order
      first-200 --port P [--path /x] -- CMD ARGS...
                                             exec CMD, poll GET every 1 ms; prints ms to first 200
      free-port                              print a TCP port free on 127.0.0.1
      tick --data-dir D [--ticks 2000] [--gap-ms 0]
                                             the daemon's sampler tick on this machine, in a loop
                                             without the server; prints median/p90 µs
      ws-load --port P -n N [--seconds 30]   N WebSocket clients on system_stats: tick-to-receipt
                                             delay (p50/p99/max) and missed ticks per client
    """

func die(_ message: String) -> Never {
    let line = "vitals-bench: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

let args = Array(CommandLine.arguments.dropFirst())
guard let command = args.first else { die(usage) }

do {
    var options = try CommandOptions(Array(args.dropFirst()))
    switch command {
    case "fill-history":
        let db = try options.string("--db")
        let days = try options.int("--days", default: 7)
        try options.finish()
        let report = try HistoryFiller.fill(path: db, days: days, nowMs: Clock.wallMs())
        print(report)
    case "time-get":
        let port = try options.port()
        let path = try options.string("--path", default: "/api/v1/system/stats")
        let n = try options.int("-n", default: 50)
        try options.finish()
        print(try RequestTimer.run(port: port, path: path, count: n))
    case "rate":
        let port = try options.port()
        let path = try options.string("--path", default: "/api/v1/system/stats")
        let method = try options.string("--method", default: "GET")
        let body = try options.string("--body", default: "")
        let rate = try options.int("--rate", default: 1000)
        let seconds = try options.int("--seconds", default: 10)
        let connections = try options.int("--connections", default: 4)
        let token = try options.string("--token", default: "")
        try options.finish()
        print(try RateLoad.run(port: port, method: method, path: path, body: body.isEmpty ? nil : body, rate: rate,
                               seconds: seconds, connections: connections, token: token.isEmpty ? nil : token))
    case "progress-load":
        let port = try options.port()
        let token = try options.string("--token")
        let rate = try options.int("--rate", default: 5000)
        let jobs = try options.int("--jobs", default: 20)
        let subscribers = try options.int("--subscribers", default: 100)
        let seconds = try options.int("--seconds", default: 10)
        try options.finish()
        print(try ProgressLoad.run(port: port, token: token, rate: rate, jobs: jobs, subscribers: subscribers, seconds: seconds))
    case "first-200":
        let port = try options.port()
        let path = try options.string("--path", default: "/api/v1/system/stats")
        let cmd = options.rest
        try options.finish()
        guard !cmd.isEmpty else { die("first-200 needs -- CMD ARGS...") }
        let ms = try FirstResponse.measure(port: port, path: path, command: cmd)
        print(Fixed.format(ms, 2))
    case "ws-load":
        let port = try options.port()
        let n = try options.int("-n", default: 1000)
        let seconds = try options.int("--seconds", default: 30)
        try options.finish()
        print(try WebSocketLoad.run(port: port, count: n, seconds: seconds))
    case "tick":
        let dir = try options.string("--data-dir")
        let ticks = try options.int("--ticks", default: 2000)
        let gap = try options.string("--gap-ms", default: "0")
        try options.finish()
        guard let gapMs = Int(gap), gapMs >= 0 else { die("--gap-ms must be 0 or more, got \(gap)") }
        print(try TickCost.run(dataDir: dir, ticks: ticks, gapMs: gapMs))
    case "free-port":
        try options.finish()
        print(try FreePort.find())
    case "-h", "--help", "help":
        print(usage)
    default:
        die("unknown command \(command)\n\(usage)")
    }
} catch let e as BenchError {
    die(e.message)
} catch {
    die("\(error)")
}
