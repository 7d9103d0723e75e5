import ArgumentParser
import BuildCore
import Foundation

/// `swbuild-tui image ...`: the local image store.
struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage images in the local store.",
        subcommands: [ImagePull.self, ImagePush.self, ImageTag.self, ImageLoad.self, ImageList.self, ImageRemove.self, ImageSave.self, ImageImport.self, ImageBusybox.self])
}

func openImageStore(_ global: GlobalOptions) -> ImageStore {
    global.requireLocal("image")
    do {
        return try ImageStore(root: global.stateRoot.path)
    } catch {
        exitWith(message: "cannot open the image store under \(global.stateRoot.path): \(error)")
    }
}

struct ImageLoad: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load", abstract: "Load an OCI archive or a docker archive.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Name the (first) image, overriding the name in the archive.") var name: String?
    @Argument(help: "The archive (tar, optionally gzipped).") var file: String

    func run() throws {
        do {
            for record in try openImageStore(global).load(archiveAt: file, name: name) {
                print("loaded \(record.name) \(record.manifest.digest.value)")
            }
        } catch {
            exitWith(message: "cannot load \(file): \(error)")
        }
    }
}

struct ImageList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List images.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        do {
            let records = try openImageStore(global).list()
            print("NAME".padding(toLength: 48, withPad: " ", startingAt: 0) + "DIGEST")
            for r in records {
                print(r.name.padding(toLength: max(48, r.name.count + 2), withPad: " ", startingAt: 0) + r.manifest.digest.value)
            }
        } catch {
            exitWith(message: "\(error)")
        }
    }
}

struct ImageRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove image names.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Image names.") var names: [String]

    func run() throws {
        let store = openImageStore(global)
        for n in names {
            do {
                try store.remove(n)
                print("removed \(n)")
            } catch {
                exitWith(message: "\(n): \(error)")
            }
        }
    }
}

struct ImageSave: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "save", abstract: "Write an image as an OCI layout tar.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .shortAndLong, help: "The archive to write.") var output: String
    @Option(help: ArgumentHelp("The platform to save from a multi-platform image (default: this machine's).", valueName: "os/arch[/variant]"))
    var platform: String?
    @Argument(help: "The image name.") var name: String

    func run() throws {
        do {
            try openImageStore(global).save(name, to: output, platform: parsePlatform(platform))
        } catch {
            exitWith(message: "\(error)")
        }
    }
}

struct ImageImport: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import",
                                                    abstract: "Make an image from a root file system tarball, like docker import.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "The image name.") var name: String
    @Argument(help: "The tarball (tar, or tar compressed with gzip, bzip2, xz or zstd) of a root file system.") var file: String

    func run() throws {
        let epoch = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap { Int64($0) }
        do {
            let image = try RootfsImage(tarball: file, sourceDateEpoch: epoch).build(into: openImageStore(global), name: name)
            print("\(name) \(image.manifest.digest.value)")
        } catch {
            exitWith(message: "cannot import \(file): \(error)")
        }
    }
}

struct ImageBusybox: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "busybox",
                                                    abstract: "Make a base image from the host's static busybox (Debian busybox-static).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "The image name.") var name: String = "busybox:demo"
    @Option(help: "The busybox binary.") var busybox: String = "/bin/busybox"

    func run() throws {
        do {
            let image = try BusyboxImage(busyboxPath: busybox).build(into: openImageStore(global), name: name)
            print("\(name) \(image.manifest.digest.value)")
        } catch {
            exitWith(message: "cannot make \(name) from \(busybox): \(error)")
        }
    }
}
