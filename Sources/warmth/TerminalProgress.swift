import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A progress bar on standard error for imports and the demo city, drawn only when standard
/// error is a terminal, and at most every tenth of a second.
final class TerminalProgress {
    private let label: String
    private var last = ContinuousClock.now
    private var drawn = false

    /// Nil when standard error is not a terminal: nothing is drawn into logs or pipes.
    init?(_ label: String) {
        guard isatty(STDERR_FILENO) != 0 else { return nil }
        self.label = label
    }

    /// `done` of `total` (bytes, or households); `note` is shown after the percentage.
    func update(_ done: Int, _ total: Int, note: String = "") {
        let now = ContinuousClock.now
        guard total > 0, done < total, now - last >= .milliseconds(100) || !drawn else { return }
        last = now
        drawn = true
        let width = 30
        let filled = min(width, done * width / total)
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) \(bar) \(done * 100 / total)%  \(note)\u{1B}[K".utf8))
    }

    /// A step that has no count to show (a write transaction, a query): its name, until `clear`.
    func step(_ text: String) {
        FileHandle.standardError.write(Data("\r\(label) \(text)…\u{1B}[K".utf8))
        drawn = true
    }

    /// Remove the bar, leaving the line clean for what follows.
    func clear() {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drawn = false
    }
}
