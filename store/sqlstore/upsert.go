package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/keypadauth/keypad"
)

// UpsertSubjects works in three steps inside one transaction, so that a
// batch costs a handful of statements rather than several per subject
// (PostgreSQL pays a round trip for each):
//
//  1. read what the batch touches: the subjects with its external IDs
//     (locked on PostgreSQL), the holders of its usernames and of its new
//     IDs;
//  2. decide every subject's outcome in memory, in batch order, tracking
//     which username and ID each planned write takes or frees;
//  3. write in batch order (runs of new subjects as multi-row INSERTs),
//     then rewrite the identifier index of every subject written.
//
// Writing in batch order means no statement ever sees a username that an
// earlier subject of the batch has not yet freed. A concurrent writer can
// still take a value between steps 1 and 3; the unique index then fails
// the transaction and the whole batch runs again, now seeing that value.

// maxParams bounds the parameters of one statement, well below SQLite's
// limit (32766) and PostgreSQL's (65535). Far longer statements made
// SQLite imports slower, not faster: each journals every page it touches.
const maxParams = 1000

// upsertOp is one planned write.
type upsertOp struct {
	insert bool // else update
	// reindex is set when the subject's identifiers are new or changed.
	reindex bool
	sub     *keypad.Subject
}

// UpsertSubjects stores a batch of subjects keyed by external ID; see
// keypad.SubjectStore for the rules.
func (s *Store) UpsertSubjects(ctx context.Context, subs []*keypad.Subject) (keypad.UpsertResult, error) {
	for i, sub := range subs {
		field := ""
		switch {
		case sub == nil:
			field = fmt.Sprintf("subjects[%d]", i)
		case sub.ExternalID == "":
			field = fmt.Sprintf("subjects[%d].ExternalID", i)
		case sub.ID == "":
			field = fmt.Sprintf("subjects[%d].ID", i)
		}
		if field != "" {
			return keypad.UpsertResult{}, &keypad.ValidationError{Field: field,
				Message: "every subject of an upsert needs an external ID and an ID"}
		}
	}
	if len(subs) == 0 {
		return keypad.UpsertResult{Outcomes: []keypad.UpsertOutcome{}}, nil
	}
	what := fmt.Sprintf("upsert %d subjects", len(subs))
	for attempt := 1; ; attempt++ {
		var res keypad.UpsertResult
		err := s.inTurn(ctx, s.d.importTurn, func(tx *sql.Tx) error {
			var err error
			res, err = s.upsertBatch(ctx, tx, subs, attempt > 1)
			return err
		})
		if err == nil {
			return res, nil
		}
		// A unique violation here is a race lost between reading and
		// writing: the next attempt reads the winner's values.
		if !isUnique(err) || attempt == maxAttempts {
			return keypad.UpsertResult{}, fmt.Errorf("%s: %w", what, dbErr(err))
		}
	}
}

// upsertBatch is one attempt at a batch, inside tx. A retry is careful:
// it tolerates identifier rows that are already there (see
// reindexIdentifiers).
func (s *Store) upsertBatch(ctx context.Context, tx *sql.Tx, subs []*keypad.Subject, retry bool) (keypad.UpsertResult, error) {
	res := keypad.UpsertResult{Outcomes: make([]keypad.UpsertOutcome, len(subs))}

	// Step 1: read.
	var externalIDs, usernames []string
	for _, sub := range subs {
		externalIDs = append(externalIDs, sub.ExternalID)
		if sub.Username != "" {
			usernames = append(usernames, sub.Username)
		}
	}
	current := make(map[string]*keypad.Subject)    // by external ID, as of the batch so far
	stored := make(map[string][]keypad.Identifier) // by subject ID, as indexed before the batch
	err := inChunks(s.d, "external_id", externalIDs, func(cond string, args []any) error {
		// ORDER BY makes concurrent batches lock rows in one order, so
		// they queue instead of deadlocking (PostgreSQL would otherwise
		// lock in heap order, which every update reshuffles).
		found, err := list(ctx, tx, "read subjects by external ID", scanSubject,
			`SELECT `+subjectCols+` FROM subjects WHERE `+cond+`
			ORDER BY external_id`+s.d.forUpdate, args...)
		for _, sub := range found {
			current[sub.ExternalID], stored[sub.ID] = sub, sub.Identifiers
		}
		return err
	})
	if err != nil {
		return res, err
	}
	holder := make(map[string]string) // username → subject ID, "" when free
	err = inChunks(s.d, "username", usernames, func(cond string, args []any) error {
		return pairs(ctx, tx, "read usernames", `SELECT username, id FROM subjects WHERE `+cond, args, holder)
	})
	if err != nil {
		return res, err
	}
	var newIDs []string
	for _, sub := range subs {
		if current[sub.ExternalID] == nil {
			newIDs = append(newIDs, sub.ID)
		}
	}
	idTaken := make(map[string]string) // subject ID → itself, when taken
	err = inChunks(s.d, "id", newIDs, func(cond string, args []any) error {
		return pairs(ctx, tx, "read subject IDs", `SELECT id, id FROM subjects WHERE `+cond, args, idTaken)
	})
	if err != nil {
		return res, err
	}

	// Step 2: decide.
	var ops []upsertOp
	for i, in := range subs {
		old := current[in.ExternalID]
		if old == nil {
			switch {
			case idTaken[in.ID] != "":
				addConflict(&res, i, "id", in.ID)
			case in.Username != "" && holder[in.Username] != "":
				addConflict(&res, i, "username", holder[in.Username])
			default:
				sub := *in
				ops = append(ops, upsertOp{insert: true, reindex: true, sub: &sub})
				current[sub.ExternalID], idTaken[sub.ID] = &sub, sub.ID
				if sub.Username != "" {
					holder[sub.Username] = sub.ID
				}
				res.Outcomes[i] = keypad.UpsertCreated
				res.Created++
			}
			continue
		}
		sub := merged(old, in)
		switch {
		case sameSubject(old, sub):
			res.Outcomes[i] = keypad.UpsertUnchanged
			res.Unchanged++
		case sub.Username != old.Username && holder[sub.Username] != "":
			addConflict(&res, i, "username", holder[sub.Username])
		default:
			ops = append(ops, upsertOp{sub: sub, reindex: !sameIdentifiers(old.Identifiers, sub.Identifiers)})
			current[sub.ExternalID] = sub
			if old.Username != sub.Username {
				if old.Username != "" {
					holder[old.Username] = ""
				}
				holder[sub.Username] = sub.ID
			}
			res.Outcomes[i] = keypad.UpsertUpdated
			res.Updated++
		}
	}

	// Step 3: write. The identifier rows are worked out (a sort of five
	// rows a person) while the subjects' rows go in: on PostgreSQL the
	// server inserts them meanwhile, so the two overlap.
	planned := make(chan identPlan, 1)
	go func() { planned <- planIdentifiers(ops, stored) }()
	if err := writeSubjects(ctx, tx, s.d, ops); err != nil {
		<-planned
		return res, err
	}
	return res, reindexIdentifiers(ctx, tx, s.d, <-planned, retry)
}

// addConflict records that subject i was skipped: its field's value
// belongs to the subject holderID.
func addConflict(res *keypad.UpsertResult, i int, field, holderID string) {
	res.Outcomes[i] = keypad.UpsertConflict
	res.Conflicts = append(res.Conflicts, keypad.SubjectConflict{Index: i, Field: field, HolderID: holderID})
}

// merged is the stored subject old after an upsert of in.
func merged(old, in *keypad.Subject) *keypad.Subject {
	sub := *in
	sub.ID, sub.CreatedAt = old.ID, old.CreatedAt
	if sub.Username == "" {
		sub.Username = old.Username
	}
	if sub.PasswordHash == "" {
		sub.PasswordHash = old.PasswordHash
	}
	if sub.PreferredLanguage == "" {
		sub.PreferredLanguage = old.PreferredLanguage
	}
	// An import does not say whether a person is enabled: a disabled
	// person stays disabled.
	sub.Disabled = old.Disabled
	return &sub
}

// sameSubject reports whether writing b over a would change anything a
// read returns, UpdatedAt aside.
func sameSubject(a, b *keypad.Subject) bool {
	return a.ExternalID == b.ExternalID && a.Username == b.Username && a.PasswordHash == b.PasswordHash &&
		a.Name == b.Name && a.Email == b.Email && a.Phone == b.Phone &&
		a.PreferredLanguage == b.PreferredLanguage && a.Disabled == b.Disabled &&
		sameIdentifiers(a.Identifiers, b.Identifiers)
}

// sameIdentifiers compares in order, nil and empty apart: reads return
// the list as it was written.
func sameIdentifiers(a, b []keypad.Identifier) bool {
	return (a == nil) == (b == nil) && slices.Equal(a, b)
}

const updateSubject = `UPDATE subjects SET username = $2, password_hash = $3, name = $4,
	email = $5, phone = $6, identifiers = $7, updated_at = $8, preferred_language = $9,
	disabled = $10 WHERE id = $1`

// writeSubjects writes the subjects' rows in batch order: each run of new
// subjects as multi-row INSERTs, each update on its own.
func writeSubjects(ctx context.Context, tx *sql.Tx, d *Dialect, ops []upsertOp) error {
	var run [][]any
	flush := func() error {
		// The rows of a run never clash (step 2 saw to that), so they go
		// in ID order, which walks the primary key's index.
		slices.SortFunc(run, func(a, b []any) int { return strings.Compare(a[0].(string), b[0].(string)) })
		err := insertValues(ctx, tx, d, `INSERT INTO subjects (`+subjectCols+`) VALUES `, "", run)
		run = run[:0]
		if err != nil {
			return fmt.Errorf("insert subjects: %w", dbErr(err))
		}
		return nil
	}
	var update *sql.Stmt
	for _, op := range ops {
		sub := op.sub
		if op.insert {
			run = append(run, []any{sub.ID, nullable(sub.ExternalID), nullable(sub.Username), sub.PasswordHash,
				sub.Name, sub.Email, sub.Phone, dbJSON(sub.Identifiers), dbTime(sub.CreatedAt), dbTime(sub.UpdatedAt),
				sub.PreferredLanguage, sub.Disabled})
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		if update == nil {
			// Prepared on the transaction: the pool's statement cache
			// would need a second connection, and SQLite's writer has one.
			var err error
			if update, err = tx.PrepareContext(ctx, updateSubject); err != nil {
				return fmt.Errorf("prepare subject update: %w", dbErr(err))
			}
			defer update.Close()
		}
		_, err := update.ExecContext(ctx, sub.ID, nullable(sub.Username), sub.PasswordHash,
			sub.Name, sub.Email, sub.Phone, dbJSON(sub.Identifiers), dbTime(sub.UpdatedAt),
			sub.PreferredLanguage, sub.Disabled)
		if err != nil {
			return fmt.Errorf("update subject %q: %w", sub.ID, dbErr(err))
		}
	}
	return flush()
}

// identPlan is what reindexIdentifiers writes: the rows of
// subject_identifiers to drop, and those to insert in key order.
type identPlan struct {
	old, rows []identRow
}

// planIdentifiers works out the rows that make subject_identifiers hold
// the final identifiers of every subject whose identifiers the batch set
// or changed; stored holds those indexed before the batch, by subject
// ID. It only reads ops and stored.
func planIdentifiers(ops []upsertOp, stored map[string][]keypad.Identifier) identPlan {
	final := make(map[string]*keypad.Subject)
	var order, stale []string // subject IDs to index; those indexed before the batch
	inserted := make(map[string]bool)
	for _, op := range ops {
		id := op.sub.ID
		if op.insert {
			inserted[id] = true
		}
		if !op.reindex {
			if final[id] != nil {
				final[id] = op.sub // still to index, now from this version
			}
			continue
		}
		if final[id] == nil {
			order = append(order, id)
			if !inserted[id] {
				stale = append(stale, id)
			}
		}
		final[id] = op.sub
	}
	var p identPlan
	for _, id := range stale {
		p.old = append(p.old, identRows(id, stored[id])...)
	}
	// In key order, the inserts walk the index instead of jumping about
	// it; duplicates (a subject may list one identifier twice) go.
	for _, id := range order {
		for _, ident := range final[id].Identifiers {
			p.rows = append(p.rows, identRow{string(ident.Type), ident.Value, id})
		}
	}
	p.rows = slices.Compact(sortIdentRows(p.rows))
	return p
}

// reindexIdentifiers writes a plan: the stale rows go, the new ones come.
//
// None of the new rows can be there already: a person's rows are exactly
// the identifiers its row lists, written in the same transaction, and the
// plan drops the old ones first (a new person's ID was checked free). So
// the INSERT has no ON CONFLICT clause: on PostgreSQL, DO NOTHING makes
// every row a speculative insertion (a probe of the key, the insert, a
// confirmation), which took the identifier INSERTs of a million-row
// import from 26 to 42 seconds. Should a row be there after all (a
// database edited by hand), the unique violation fails the attempt and
// the retry, careful, inserts with DO NOTHING.
func reindexIdentifiers(ctx context.Context, tx *sql.Tx, d *Dialect, p identPlan, careful bool) error {
	if err := dropIdentifierRows(ctx, tx, d, p.old); err != nil {
		return fmt.Errorf("changed identifiers: %w", err)
	}
	rows := make([][]any, len(p.rows))
	for i, r := range p.rows {
		rows[i] = []any{r.typ, r.value, r.id}
	}
	tail := ""
	if careful {
		tail = ` ON CONFLICT DO NOTHING`
	}
	err := insertValues(ctx, tx, d, `INSERT INTO subject_identifiers (type, value, subject_id) VALUES `, tail, rows)
	if err != nil {
		return fmt.Errorf("index identifiers: %w", dbErr(err))
	}
	return nil
}

// identRow is a row of subject_identifiers.
type identRow struct{ typ, value, id string }

// sortIdentRows sorts rows as the table's primary key orders them, and
// returns them. The rows of each type are sorted side by side: sorting a
// bulk batch's 80,000 rows was a tenth of an import's time on the
// writer, which the other cores can take.
func sortIdentRows(rows []identRow) []identRow {
	byType := make(map[string][]identRow)
	for _, r := range rows {
		byType[r.typ] = append(byType[r.typ], r)
	}
	types := slices.Sorted(maps.Keys(byType))
	var wg sync.WaitGroup
	for _, t := range types {
		group := byType[t]
		wg.Go(func() { slices.SortFunc(group, compareValueID) })
	}
	wg.Wait()
	rows = rows[:0]
	for _, t := range types {
		rows = append(rows, byType[t]...)
	}
	return rows
}

// compareValueID orders rows of one type by value, then subject ID.
func compareValueID(a, b identRow) int {
	if c := strings.Compare(a.value, b.value); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// insertValues runs head + (row), (row), ... + tail over rows, as few
// statements as the parameter limit allows; on PostgreSQL, one statement
// whatever the number of rows (see insertArrays).
func insertValues(ctx context.Context, tx *sql.Tx, d *Dialect, head, tail string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if d.numberedParams {
		return insertArrays(ctx, tx, head, tail, rows)
	}
	width := len(rows[0])
	per := maxParams / width
	query := func(n int) string {
		var q strings.Builder
		q.WriteString(head)
		for i := range n {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(")
			q.WriteString(d.params(width, i*width+1))
			q.WriteString(")")
		}
		q.WriteString(tail)
		return q.String()
	}
	// Every chunk but the last has per rows: one statement, prepared
	// once. Parsing a thousand-parameter statement again for each chunk
	// was a sixth of a SQLite import's time in the store.
	var full *sql.Stmt
	for len(rows) > 0 {
		n := min(per, len(rows))
		args := make([]any, 0, n*width)
		for _, row := range rows[:n] {
			args = append(args, row...)
		}
		var err error
		switch {
		case n < per:
			_, err = tx.ExecContext(ctx, query(n), args...)
		case full == nil:
			if full, err = tx.PrepareContext(ctx, query(n)); err != nil {
				return err
			}
			defer full.Close()
			fallthrough
		default:
			_, err = full.ExecContext(ctx, args...)
		}
		if err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// inChunks calls fn with a condition that column is one of the distinct
// keys, and its arguments: on SQLite `column IN (?, ...)`, maxParams keys
// at a time; on PostgreSQL `column = ANY($1::text[])`, once for all of
// them (a thousand-parameter IN list was planned afresh for every chunk:
// 195 statements for a 65,536-row batch instead of 3).
func inChunks(d *Dialect, column string, keys []string, fn func(cond string, args []any) error) error {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	if len(keys) == 0 {
		return nil
	}
	if d.numberedParams {
		return fn(column+" = ANY($1::text[])", []any{keys})
	}
	for len(keys) > 0 {
		n := min(maxParams, len(keys))
		if err := fn(column+" IN ("+d.params(n, 1)+")", anys(keys[:n])); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// pairs runs a query of two text columns and adds its rows to into,
// first column → second.
func pairs(ctx context.Context, tx *sql.Tx, what, query string, args []any, into map[string]string) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, dbErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return fmt.Errorf("%s: %w", what, dbErr(err))
		}
		into[k] = v
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, dbErr(err))
	}
	return nil
}

// anys converts keys to query arguments.
func anys(keys []string) []any {
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}

// insertArrays is insertValues for PostgreSQL: head + SELECT * FROM
// unnest($1::text[], $2::bigint[], ...) + tail, each parameter one column
// of every row, so a batch of any size is one statement and one round
// trip, where rows of a few dozen parameters each took dozens. A column's
// array type follows its values' Go type (string, int64, bool; nil is
// NULL).
func insertArrays(ctx context.Context, tx *sql.Tx, head, tail string, rows [][]any) error {
	width := len(rows[0])
	cols := make([]any, width)
	var q strings.Builder
	q.WriteString(strings.TrimSuffix(strings.TrimSpace(head), "VALUES"))
	q.WriteString(" SELECT * FROM unnest(")
	for c := range width {
		typ, col, err := arrayColumn(rows, c)
		if err != nil {
			return err
		}
		if c > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "$%d::%s[]", c+1, typ)
		cols[c] = col
	}
	q.WriteString(")")
	q.WriteString(tail)
	_, err := tx.ExecContext(ctx, q.String(), cols...)
	return err
}

// arrayColumn gathers column c of rows into a slice pgx sends as an
// array, and names the array's element type.
func arrayColumn(rows [][]any, c int) (string, any, error) {
	var typ string
rows:
	for _, r := range rows {
		switch r[c].(type) {
		case string:
			typ = "text"
		case int64:
			typ = "bigint"
		case bool:
			typ = "boolean"
		case nil:
			continue
		default:
			return "", nil, fmt.Errorf("insert rows: column %d holds a %T, which has no array type here", c, r[c])
		}
		break rows // the first value that is not NULL says the column's type
	}
	switch typ {
	case "bigint":
		return typ, columnOf[int64](rows, c), nil
	case "boolean":
		return typ, columnOf[bool](rows, c), nil
	default: // text, or every value NULL
		return "text", columnOf[string](rows, c), nil
	}
}

// columnOf is column c of rows as a slice of T or, when a value is nil,
// of *T with nil for NULL. pgx encodes a []string or []int64 directly;
// a slice of pointers goes through reflection and one allocation a value,
// which was a third of a PostgreSQL import's own time in the store.
func columnOf[T any](rows [][]any, c int) any {
	col := make([]T, len(rows))
	for i, r := range rows {
		v, ok := r[c].(T)
		if !ok {
			return pointerColumnOf[T](rows, c)
		}
		col[i] = v
	}
	return col
}

// pointerColumnOf is column c of rows as a slice of *T, nil values as nil.
func pointerColumnOf[T any](rows [][]any, c int) []*T {
	col := make([]*T, len(rows))
	for i, r := range rows {
		if v, ok := r[c].(T); ok {
			col[i] = &v
		}
	}
	return col
}
