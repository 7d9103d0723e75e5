import CLinux
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The mount and unmount system calls, with errors that say what failed. Everything that mounts
/// goes through here so that cleanup (detach on failure) is in one place.
public enum Mounter {
    public static func overlay(lower: [String], upper: String?, work: String?, target: String) throws(ExecutorError) {
        var options = "lowerdir=" + lower.joined(separator: ":")
        if let upper, let work { options += ",upperdir=\(upper),workdir=\(work)" }
        options += ",index=off,redirect_dir=off,metacopy=off"
        try mount(source: "overlay", target: target, type: "overlay", flags: 0, options: options)
    }

    /// A recursive bind. Read-only means read-only all the way down: `mount_setattr` with
    /// `AT_RECURSIVE` (a plain `MS_REMOUNT | MS_RDONLY` leaves submounts writable); if the
    /// kernel cannot do that, the bind is taken down again rather than left writable.
    public static func bind(_ source: String, target: String, readOnly: Bool) throws(ExecutorError) {
        try mount(source: source, target: target, type: nil, flags: UInt(MS_BIND | MS_REC), options: nil)
        if readOnly && swb_make_readonly_recursive(target) != 0 {
            let reason = String(cString: strerror(errno))
            unmount(target)
            throw ExecutorError.mountFailed("cannot make \(target) read-only: \(reason)")
        }
    }

    public static func tmpfs(target: String, sizeBytes: Int64?, mode: UInt32 = 0o755) throws(ExecutorError) {
        var options = "mode=\(String(mode, radix: 8))"
        if let sizeBytes { options += ",size=\(sizeBytes)" }
        try mount(source: "tmpfs", target: target, type: "tmpfs", flags: UInt(MS_NOSUID | MS_NODEV), options: options)
    }

    static func mount(source: String, target: String, type: String?, flags: UInt, options: String?) throws(ExecutorError) {
        let rc: Int32
        if let type {
            rc = Glibc.mount(source, target, type, flags, options)
        } else {
            rc = Glibc.mount(source, target, nil, flags, options)
        }
        guard rc == 0 else {
            let reason = String(cString: strerror(errno))
            throw ExecutorError.mountFailed("mount \(type ?? "bind") \(source) on \(target): \(reason)" +
                                            (options.map { " (\($0.count) bytes of options)" } ?? ""))
        }
    }

    /// Unmounts, falling back to a lazy detach so a busy mount never outlives the build.
    public static func unmount(_ target: String) {
        if umount2(target, 0) == 0 { return }
        if errno == EINVAL || errno == ENOENT { return }
        _ = umount2(target, Int32(MNT_DETACH))
    }

    /// Mount points at or below `prefix`, deepest first, read from /proc/self/mountinfo.
    public static func mounts(under prefix: String) -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
        var found: [String] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { continue }
            let point = String(fields[4]).replacingOccurrences(of: "\\040", with: " ")
            if point == prefix || point.hasPrefix(prefix + "/") { found.append(point) }
        }
        return found.sorted { $0.count > $1.count }
    }
}

/// Errors of the executor layer: mounts, containers, processes.
public enum ExecutorError: Error, Sendable, Equatable, CustomStringConvertible {
    case mountFailed(String)
    case runtimeFailed(String)
    /// The process ran and exited non-zero: BuildKit's message, with the command as given.
    case processFailed(command: String, exitCode: Int32)
    case canceled
    case invalidMount(String)

    public var description: String {
        switch self {
        case .mountFailed(let m): m
        case .runtimeFailed(let m): m
        case .processFailed(let command, let code): "process \"\(command)\" did not complete successfully: exit code: \(code)"
        case .canceled: "canceled"
        case .invalidMount(let m): m
        }
    }
}
