package importer

import "fmt"

// Stats count what an import did with the rows.
type Stats struct {
	Rows      int     `json:"rows"`
	Created   int     `json:"created"`
	Updated   int     `json:"updated"`
	Unchanged int     `json:"unchanged"`
	Bad       int     `json:"bad"`
	Seconds   float64 `json:"seconds"`
}

// String is the counts as `keypad user import` prints them.
func (s Stats) String() string {
	return fmt.Sprintf("%d rows: %d created, %d updated, %d unchanged, %d bad", s.Rows, s.Created, s.Updated, s.Unchanged, s.Bad)
}

// Rate is rows per second, for progress lines.
func (s Stats) Rate() float64 {
	if s.Seconds <= 0 {
		return 0
	}
	return float64(s.Rows) / s.Seconds
}
