import CLineEdit
import Foundation

/// Where the REPL's lines come from: a terminal through libedit (editing, history, completion),
/// or a pipe, read line by line without prompts.
protocol LineReader: AnyObject {
    /// The next line; nil at the end of input. Throws `Interrupted` when Ctrl-C was pressed at
    /// the prompt (the line is dropped).
    func read(prompt: String) throws -> String?
    func remember(_ entry: String)
    func setCompletions(_ words: [String])
    func close()
}

struct Interrupted: Error {}

/// libedit's readline, with the history kept in a file between sessions.
final class TerminalReader: LineReader {
    let historyPath: String?

    init(historyPath: String?) {
        self.historyPath = historyPath
        _ = wle_begin(historyPath, 1_000)
    }

    func read(prompt: String) throws -> String? {
        var interrupted: Int32 = 0
        guard let line = wle_read(prompt, &interrupted) else {
            if interrupted != 0 {
                print("")
                throw Interrupted()
            }
            return nil
        }
        defer { wle_free(line) }
        return String(cString: line)
    }

    func remember(_ entry: String) { wle_add_history(entry) }

    func setCompletions(_ words: [String]) {
        var cStrings = words.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        cStrings.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
                wle_set_words($0, Int32(buffer.count))
            }
        }
    }

    func close() { wle_end(historyPath) }
}

/// Standard input that is not a terminal: no prompts, no colours, no history. Read with read(2)
/// itself, not stdio: Ctrl-C (SIGINT, installed without SA_RESTART so an evaluation can be
/// stopped) interrupts a read, which is simply tried again here.
final class PipeReader: LineReader {
    private var buffer: [UInt8] = []
    private var start = 0
    private var ended = false

    init() { wle_catch_interrupts() }

    func read(prompt: String) throws -> String? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 10) {
                var end = newline
                if end > start, buffer[end - 1] == 13 { end -= 1 }  // a CRLF line from Windows
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = newline + 1
                return line
            }
            if ended {
                guard start < buffer.count else { return nil }
                let line = String(decoding: buffer[start...], as: UTF8.self)
                start = buffer.count
                return line
            }
            if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer += chunk[0..<n]
            } else if n == 0 || errno != EINTR {
                ended = true
            }
        }
    }
    func remember(_ entry: String) {}
    func setCompletions(_ words: [String]) {}
    func close() {}
}

/// While `body` runs, Ctrl-C calls `stop` (polled from another thread: the signal handler
/// itself only sets a flag).
func whileInterruptible<T>(_ stop: @escaping @Sendable () -> Void, _ body: () throws -> T) rethrows -> T {
    _ = wle_take_interrupt()
    let done = ReplFlag()
    let watcher = Thread {
        while !done.isSet {
            if wle_take_interrupt() != 0 { stop() }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
    watcher.start()
    defer { done.set() }
    return try body()
}

final class ReplFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
