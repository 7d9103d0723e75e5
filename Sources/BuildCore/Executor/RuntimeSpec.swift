import Foundation

/// The OCI runtime config (`config.json`) for one step, shaped like the one BuildKit generates:
/// the same default mounts, capabilities, masked paths and namespaces.
struct RuntimeSpec {
    let request: ExecRequest
    let identity: UserResolver.Identity
    let bundle: String
    /// The network namespace a default-network step joins (`NetworkSandbox`).
    var networkNamespace: String?

    static let defaultCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// Capability names by number (linux/capability.h).
    static let capabilityNames = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// `--security=insecure`: every capability this process may grant (its bounding set), since a
    /// container can never get more than its parent has.
    static var allCapabilities: [String] {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapBnd:") }),
              let mask = UInt64(line.dropFirst("CapBnd:".count).trimmingCharacters(in: .whitespaces), radix: 16) else {
            return defaultCapabilities
        }
        return capabilityNames.enumerated().filter { mask & (1 << UInt64($0.offset)) != 0 }.map(\.element)
    }

    func json() throws -> Data {
        let op = request.op
        let insecure = op.security == .insecure
        let caps = insecure ? Self.allCapabilities : Self.defaultCapabilities
        var mounts: [[String: Any]] = [
            ["destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]],
            ["destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]],
            ["destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]],
            ["destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]],
            ["destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]],
            ["destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", insecure ? "rw" : "ro"]],
            ["destination": "/etc/hosts", "type": "bind", "source": bundle + "/hosts", "options": ["rbind", "ro"]],
            ["destination": "/etc/resolv.conf", "type": "bind", "source": bundle + "/resolv.conf", "options": ["rbind", "ro"]],
        ]
        for m in request.mounts {
            switch m.kind {
            case .bind:
                // `rro`: read-only recursively, submounts included (runc and crun apply it with
                // mount_setattr); `ro` would leave them writable. A file has no submounts, and
                // crun 1.8 opens an `rro` target as a directory, so a file is bound `ro`.
                mounts.append(["destination": m.target, "type": "bind", "source": m.source,
                               "options": ["rbind", m.readOnly ? (m.sourceIsDirectory ? "rro" : "ro") : "rw"]])
            case .tmpfs(let size):
                var options = ["nosuid", "nodev", "mode=1777"]
                if let size { options.append("size=\(size)") }
                mounts.append(["destination": m.target, "type": "tmpfs", "source": "tmpfs", "options": options])
            }
        }
        var namespaces: [[String: Any]] = [["type": "pid"], ["type": "ipc"], ["type": "uts"], ["type": "mount"]]
        switch op.network {
        case .none: namespaces.append(["type": "network"])
        case .default:
            // Never the host's: a step without its sandbox gets an empty namespace.
            if let networkNamespace { namespaces.append(["type": "network", "path": networkNamespace]) } else { namespaces.append(["type": "network"]) }
        case .host: break
        }
        var linux: [String: Any] = [
            "namespaces": namespaces,
            "maskedPaths": insecure ? [] : ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                                           "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
            "readonlyPaths": insecure ? [] : ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        ]
        if insecure {
            linux["resources"] = ["devices": [["allow": true, "access": "rwm"]]]
        }
        let spec: [String: Any] = [
            "ociVersion": "1.0.2",
            "process": [
                "terminal": false,
                "user": ["uid": identity.uid, "gid": identity.gid, "additionalGids": identity.additionalGids],
                "args": op.args,
                "env": op.env + request.secretEnvironment,
                "cwd": op.cwd.isEmpty ? "/" : op.cwd,
                "capabilities": ["bounding": caps, "effective": caps, "permitted": caps],
                "noNewPrivileges": false,
            ] as [String: Any],
            "root": ["path": request.rootfs, "readonly": false],
            "hostname": request.hostname,
            "mounts": mounts,
            "linux": linux,
        ]
        return try JSONSerialization.data(withJSONObject: spec, options: [.sortedKeys])
    }
}
