package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// TestMemorySettings pins the rest of what bounds SQLite's memory in
// keypad (docs/performance.md, "SQLite: stalls and memory"): no memory
// map of the file on any connection, and statement journals in memory
// (temp_store 2), on the writer and the readers alike.
func TestMemorySettings(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "keypad.db"))
	for name, db := range map[string]*sql.DB{"writer": s.DB(), "reader": s.ReadDB()} {
		var mmap, temp int
		if err := db.QueryRowContext(t.Context(), `PRAGMA mmap_size`).Scan(&mmap); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(t.Context(), `PRAGMA temp_store`).Scan(&temp); err != nil {
			t.Fatal(err)
		}
		if mmap != 0 {
			t.Errorf("%s mmap_size = %d, want 0: a memory map would add the file's size to resident memory", name, mmap)
		}
		if temp != 2 {
			t.Errorf("%s temp_store = %d, want 2 (memory)", name, temp)
		}
	}
}
