@testable import CentaurSQLite
import Foundation
import GRDB
import Testing

@Suite("Fast text forms for trace inserts")
struct SQLiteTextTests {
    @Test("dates are written exactly as GRDB writes them, milliseconds included")
    func datesMatchGRDB() {
        var generator = SystemRandomNumberGenerator()
        var dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_763_000_000.9995),
                     Date(timeIntervalSince1970: 1_763_000_000.001), Date(timeIntervalSince1970: 951_782_400.5)]  // 2000-02-29
        for _ in 0..<2_000 { dates.append(Date(timeIntervalSince1970: Double.random(in: 0..<4_102_444_800, using: &generator))) }
        for date in dates {
            let ours = SQLiteText.string(date)
            let grdb = String.fromDatabaseValue(date.databaseValue)
            #expect(ours == grdb, "\(date.timeIntervalSince1970)")
        }
    }

    @Test("tags are compact JSON with sorted keys that SQLite's json functions read")
    func tagsAsJSON() throws {
        #expect(SQLiteText.json([:]) == "{}")
        let text = SQLiteText.json(["team": "ops", "a\"b": "line\nbreak", "ünï": "✓"])
        #expect(text == #"{"a\"b":"line\nbreak","team":"ops","ünï":"✓"}"#)
        let queue = try DatabaseQueue()
        let team = try queue.read { db in try String.fetchOne(db, sql: "SELECT json_extract(?, '$.team')", arguments: [text]) }
        #expect(team == "ops")
    }
}
