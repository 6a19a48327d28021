import ArgumentParser
import Foundation
import WarmthData
import WarmthRuntime

struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the policy tests (*_test.lua) under the given paths (default: scripts/).",
        discussion: """
            Each test file runs in the same sandbox as a real policy. Prints each test with pass or fail and closes \
            with 'N passed, N failed' (', N skipped' when any are). Exit status 1 on any failure or erroring file.
            """)

    enum Format: String, ExpressibleByArgument { case text, tap, junit }

    @Argument(help: "Test files or folders to search.") var paths: [String] = ["scripts"]
    @Option(help: "Output: text (default), tap (TAP version 13 on stdout) or junit (XML, to --output).") var format: Format = .text
    @Option(help: ArgumentHelp("Where the JUnit XML goes (with --format junit).", valueName: "file.xml")) var output: String?
    @Option(help: "Run only tests whose name contains this text (or matches it as a regular expression).") var filter: String?

    func validate() throws {
        if format == .junit, output == nil { throw ValidationError("--format junit writes XML to a file: add --output results.xml") }
    }

    func run() throws {
        let files = PolicyTestRunner.discover(paths)
        guard !files.isEmpty else { throw Failure("no *_test.lua files under \(paths.joined(separator: ", "))") }
        var results: [PolicyTestResult] = []
        for file in files {
            let rs = PolicyTestRunner.run(file: file, filter: filter, fixture: Fixture.load)
            if format == .text {
                if !rs.isEmpty { print(file) }
                for r in rs {
                    switch r.status {
                    case .pass: print("  ✓ \(r.name)")
                    case .skip: print("  - \(r.name) (skipped)")
                    case .fail:
                        print("  ✗ \(r.name)")
                        for line in r.message.split(separator: "\n", omittingEmptySubsequences: false) { print("      \(line)") }
                    }
                }
            }
            results += rs
        }
        let passed = results.filter { $0.status == .pass }.count
        let failed = results.filter { $0.status == .fail }.count
        let skipped = results.filter { $0.status == .skip }.count
        switch format {
        case .text: break
        case .tap: print(PolicyTestReport.tap(results), terminator: "")
        case .junit:
            let xml = PolicyTestReport.junit(results)
            guard FileManager.default.createFile(atPath: output!, contents: Data(xml.utf8)) else {
                throw Failure("\(output!): cannot write the JUnit report")
            }
        }
        let summary = "\(passed) passed, \(failed) failed" + (skipped > 0 ? ", \(skipped) skipped" : "")
        if format == .tap { print("# " + summary) } else { print(summary) }
        if failed > 0 { throw ExitCode(1) }
    }
}
