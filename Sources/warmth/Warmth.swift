import ArgumentParser
import Foundation
import WarmthLua

@main
struct Warmth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warmth",
        abstract: "Run trade-union relief campaigns (工会送温暖) with policies written in Lua.",
        version: WarmthVersion.string,
        subcommands: [Version.self, Check.self]
    )
}

enum WarmthVersion {
    static let string = "0.1.0"
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print Warmth's version and the Lua it embeds.")

    func run() throws {
        print("warmth \(WarmthVersion.string) (\(LuaState.luaVersion))")
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load Lua scripts in the host and report syntax errors as file:line: message.",
        discussion: "Exit status: 0 when every file compiles, 1 when any does not, 2 when a file cannot be read."
    )

    @Argument(help: "Lua files to check.")
    var files: [String]

    func run() throws {
        var failed = false
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                FileHandle.standardError.write(Data("\(file): cannot read the file: check the path\n".utf8))
                throw ExitCode(2)
            }
            let lua = try LuaState(memoryLimit: 64 << 20)
            do {
                _ = try lua.load(String(decoding: data, as: UTF8.self), chunkName: file)
                print("\(file): OK")
            } catch {
                print(error.description)
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}
