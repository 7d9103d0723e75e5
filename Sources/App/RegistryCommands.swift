import ArgumentParser
import BuildCore
import Foundation

/// `swbuild-tui image pull REF [--platform P]`: an image from its registry into the local store.
struct ImagePull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Pull an image from a registry.")
    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("The platform to pull from a multi-platform image (default: this machine's).", valueName: "os/arch[/variant]"))
    var platform: String?
    @Flag(name: .shortAndLong, help: "Print only the pulled digest.") var quiet = false
    @Argument(help: "The image reference (busybox, host:port/name:tag, name@sha256:…).") var reference: String

    func run() async throws {
        let store = openImageStore(global)
        let target = parsePlatform(platform)
        let ref = parseReference(reference)
        let puller = ImagePuller(client: global.registryClient(), store: store)
        let quiet = self.quiet
        let started = Date()
        do {
            let image = try await puller.pull(ref, platform: target, records: PullRecords(root: global.stateRoot)) { update in
                guard !quiet else { return }
                switch update.phase {
                case .exists: print("\(update.digest.short): already exists")
                case .done: print("\(update.digest.short): pull complete (\(ByteCount.format(update.total)))")
                default: break
                }
            }
            if quiet {
                print(image.top.digest.value)
            } else {
                print("Digest: \(image.top.digest.value)")
                print("pulled \(ref) for \(target) in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
            }
        } catch {
            exitWith(message: "\(error)")
        }
    }
}

/// `swbuild-tui image push REF`: a local image to its registry. Layers stored uncompressed are
/// compressed (gzip) on the way, once; the pushed digest is printed.
struct ImagePush: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "push", abstract: "Push an image to a registry.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Print only the pushed digest.") var quiet = false
    @Argument(help: "The local image name, which names the registry and repository.") var reference: String

    func run() async throws {
        let store = openImageStore(global)
        let ref = parseReference(reference)
        do {
            let top = try store.pushableDescriptor(ref.description)
            let pusher = ImagePusher(client: global.registryClient(), content: store.content,
                                     records: PullRecords(root: global.stateRoot))
            let quiet = self.quiet
            let digest = try await pusher.push(top, to: ref) { update in
                guard !quiet, let outcome = update.outcome else { return }
                print("\(update.digest.short): \(outcome.rawValue) (\(ByteCount.format(update.total)))")
            }
            print(quiet ? digest.value : "pushed \(ref.registry)/\(ref.repository)@\(digest.value)")
        } catch {
            exitWith(message: "\(error)")
        }
    }
}

/// `swbuild-tui image tag SRC DST`: a second name for an image of the local store.
struct ImageTag: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Give an image another name.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The existing name.") var source: String
    @Argument(help: "The new name.") var target: String

    func run() throws {
        let store = openImageStore(global)
        do {
            guard let record = try store.list().first(where: { $0.name == (try? ImageStore.normalize(source)) }) else {
                throw ImageError.imageNotFound(source)
            }
            try store.tag(target, manifest: record.manifest)
        } catch {
            exitWith(message: "\(error)")
        }
    }
}

/// `swbuild-tui login HOST [-u USER] [-p PASSWORD | --password-stdin]`: checks the login against
/// the registry and stores it in docker's config.json (or its credential helper).
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "login", abstract: "Log in to a registry.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .shortAndLong, help: "The user name.") var username: String?
    @Option(name: .shortAndLong, help: "The password (prefer --password-stdin).") var password: String?
    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input.") var passwordStdin = false
    @Argument(help: "The registry (default: docker.io).") var server: String = "docker.io"

    func run() async throws {
        let registry = RegistryLogin.registryName(server)
        var secret = password
        if passwordStdin {
            if password != nil { exitWith(message: "--password and --password-stdin are mutually exclusive") }
            let data = FileHandle.standardInput.readDataToEndOfFile()
            secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        }
        guard let username, !username.isEmpty else { exitWith(message: "login to \(registry) needs a user name (-u)") }
        guard let secret, !secret.isEmpty else { exitWith(message: "login to \(registry) needs a password (--password-stdin or -p)") }
        if password != nil { FileHandle.standardError.write(Data("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n".utf8)) }
        let credential = RegistryCredential(username: username, secret: secret)
        do {
            let client = global.registryClient()
            try await RegistryLogin(client: client).check(registry: registry, credential: credential)
            try DockerCredentials().store(credential, for: registry)
            print("Login Succeeded")
        } catch {
            exitWith(message: "\(error)")
        }
    }
}

/// `swbuild-tui logout HOST`: forgets the stored login.
struct LogoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Log out from a registry.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The registry (default: docker.io).") var server: String = "docker.io"

    func run() throws {
        let registry = RegistryLogin.registryName(server)
        do {
            if try DockerCredentials().erase(for: registry) {
                print("Removing login credentials for \(DockerCredentials.serverKey(registry))")
            } else {
                print("Not logged in to \(DockerCredentials.serverKey(registry))")
            }
        } catch {
            exitWith(message: "\(error)")
        }
    }
}

func parseReference(_ text: String) -> RegistryReference {
    do {
        return try RegistryReference(parsing: text)
    } catch {
        exitWith(message: "\(error)")
    }
}

func parsePlatform(_ text: String?) -> Platform {
    guard let text else { return .host }
    guard let platform = Platform(parsing: text) else { exitWith(message: "invalid platform \"\(text)\": expected os/arch[/variant]") }
    return platform
}
