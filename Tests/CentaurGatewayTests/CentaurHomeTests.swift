import CentaurConfiguration
import CentaurGateway
import Foundation
import Testing

@Suite("Centaur's home")
struct CentaurHomeTests {
    @Test("CENTAUR_HOME first, then ./.centaur where the working directory has one, then the per-user data folder")
    func resolution() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-home-\(UUID().uuidString)")
        let checkout = root.appendingPathComponent("checkout"), elsewhere = root.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: checkout.appendingPathComponent(".centaur"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(CentaurHome.resolve(environment: ["CENTAUR_HOME": "/srv/centaur", "HOME": "/home/ana"], currentDirectory: checkout.path) == "/srv/centaur")
        #expect(CentaurHome.resolve(environment: ["HOME": "/home/ana"], currentDirectory: checkout.path) == ".centaur")
        #expect(CentaurHome.resolve(environment: ["HOME": "/home/ana"], currentDirectory: elsewhere.path) == "/home/ana/.local/share/centaur")
        #expect(CentaurHome.resolve(environment: ["HOME": "/home/ana", "XDG_DATA_HOME": "/data/ana"], currentDirectory: elsewhere.path) == "/data/ana/centaur")
        #expect(CentaurHome.resolve(environment: ["CENTAUR_HOME": "", "HOME": "/home/ana"], currentDirectory: elsewhere.path) == "/home/ana/.local/share/centaur")
    }
}
