import ArgumentParser
import Foundation
import WarmthData
import WarmthDomain
import WarmthLua
import WarmthRuntime
import WarmthLedger
import WarmthStore

@main
struct Warmth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warmth",
        abstract: "Run trade-union relief campaigns (工会送温暖) with policies written in Lua.",
        discussion: """
            Exit status: 0 ok; 1 a check or test failed; 2 a script or data error the author can fix \
            (the message names the file, the line or row, and the household); 64 bad usage; 70 internal error.
            """,
        version: WarmthVersion.string,
        subcommands: [
            Version.self, Init.self, Import.self, Units.self, Households.self, CampaignCommand.self, DemoData.self,
            Run.self, ReplCommand.self, Explain.self, PayoutsCommand.self, LedgerCheckCommand.self, VocabularyCommand.self, TestCommand.self, Check.self,
        ]
    )

    /// Parse, run, and map failures to the documented exit codes.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as ExitCode {
            Foundation.exit(error.rawValue)
        } catch let error as any BilingualError {
            warn(error.message(english: Language.current == .en))
            Foundation.exit(2)
        } catch let error where error is LuaError || error is RunFailure || error is SandboxError {
            // A script's error may carry newlines of the script's making: every line after the
            // first is indented, so none can pass for a line of Warmth's own ("已写入台账 …").
            // ID, card and phone numbers a script wrote into its message are masked like any other.
            warn(Masking.maskNumbers(in: String(describing: error)).split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                .map { $0.offset == 0 ? String($0.element) : "  " + $0.element }.joined(separator: "\n"))
            Foundation.exit(2)
        } catch let error where isUserFixable(error) {
            warn(String(describing: error))
            Foundation.exit(2)
        } catch let error where exitCode(for: error) == .validationFailure || exitCode(for: error) == .success {
            exit(withError: error)
        } catch {
            warn("warmth: internal error (please report it): \(error)")
            Foundation.exit(70)
        }
    }

    static func isUserFixable(_ error: Error) -> Bool {
        error is Failure || error is StoreError || error is ImportFailure || error is TextFile.Failure
            || error is LuaError || error is RunFailure || error is SandboxError
    }
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
                throw Failure("\(file): cannot read the file: check the path")
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
