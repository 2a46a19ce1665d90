package sqlstore

import "github.com/keypadauth/keypad"

// dbDescriptions is the descriptions column's value: '{}' for none, as
// the column's default for rows made before it.
func dbDescriptions(d keypad.Descriptions) string {
	if len(d) == 0 {
		return "{}"
	}
	return dbJSON(d)
}

// noDescriptions reads an empty object back as nil, so a client or scope
// stored without descriptions reads back as it was written.
func noDescriptions(d keypad.Descriptions) keypad.Descriptions {
	if len(d) == 0 {
		return nil
	}
	return d
}
