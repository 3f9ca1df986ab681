import Foundation
import PackagePlugin

/// Turns every file in the target's `Assets/` folder into one generated Swift source
/// (`EmbeddedAssets.generated.swift`) through the `vitals-embed` tool. The files are the
/// command's declared inputs, so editing one reruns only this command and recompiles only
/// the generated file; the folder is listed at each build, so a new file is picked up too.
@main
struct EmbedAssets: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let folder = target.directoryURL.appending(path: "Assets")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { !$0.hasPrefix(".") }
            .sorted()
        let inputs = names.map { folder.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedAssets.generated.swift")
        return [.buildCommand(displayName: "Embedding \(inputs.count) dashboard files",
                              executable: try context.tool(named: "vitals-embed").url,
                              arguments: [output.path] + inputs.map(\.path),
                              inputFiles: inputs,
                              outputFiles: [output])]
    }
}
