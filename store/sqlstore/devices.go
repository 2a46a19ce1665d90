package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/keypadauth/keypad"
)

const deviceCols = `device_code_hash, user_code_hash, client_id, scopes, status, subject, grant_id,
	poll_interval, last_polled_at, created_at, expires_at, resources`

func scanDevice(r scanner) (*keypad.DeviceAuthorization, error) {
	var d keypad.DeviceAuthorization
	var status string
	var interval int64
	err := r.Scan(&d.DeviceCodeHash, &d.UserCodeHash, &d.ClientID, js(&d.Scopes), &status,
		&d.Subject, &d.GrantID, &interval, tm(&d.LastPolledAt), tm(&d.CreatedAt), tm(&d.ExpiresAt), js(&d.Resources))
	if err != nil {
		return nil, err
	}
	d.Status = keypad.DeviceStatus(status)
	d.Interval = time.Duration(interval)
	return &d, nil
}

// CreateDeviceAuthorization stores a device authorization; ErrConflict if
// its device code hash or user code hash is taken.
func (s *Store) CreateDeviceAuthorization(ctx context.Context, d *keypad.DeviceAuthorization) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO device_authorizations (`+deviceCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		d.DeviceCodeHash, d.UserCodeHash, d.ClientID, dbJSON(d.Scopes), string(d.Status),
		d.Subject, d.GrantID, int64(d.Interval), dbTime(d.LastPolledAt), dbTime(d.CreatedAt), dbTime(d.ExpiresAt), dbJSON(d.Resources))
	if err != nil {
		return insertErr("create device authorization", err)
	}
	return nil
}

// GetDeviceAuthorization returns an authorization by device code hash, or
// ErrNotFound.
func (s *Store) GetDeviceAuthorization(ctx context.Context, deviceCodeHash []byte) (*keypad.DeviceAuthorization, error) {
	// Prepared once: every pending device poll starts with this read.
	d, err := scanDevice(s.readRow(ctx,
		`SELECT `+deviceCols+` FROM device_authorizations WHERE device_code_hash = $1`, deviceCodeHash))
	if err != nil {
		return nil, readErr("get device authorization", err)
	}
	return d, nil
}

// GetDeviceAuthorizationByUserCode returns an authorization by user code
// hash, or ErrNotFound.
func (s *Store) GetDeviceAuthorizationByUserCode(ctx context.Context, userCodeHash []byte) (*keypad.DeviceAuthorization, error) {
	d, err := scanDevice(s.db.QueryRowContext(ctx,
		`SELECT `+deviceCols+` FROM device_authorizations WHERE user_code_hash = $1`, userCodeHash))
	if err != nil {
		return nil, readErr("get device authorization by user code", err)
	}
	return d, nil
}

// UpdateDeviceAuthorization applies fn to a stored authorization with its
// row locked, so concurrent updates (on any number of instances) run one
// after the other. If fn fails nothing is written and its error is
// returned as is; ErrNotFound if there is no such authorization. The
// device code hash is the record's key and cannot change; fn may change
// the user code hash (ErrConflict if another authorization holds it).
// fn must not call the store.
func (s *Store) UpdateDeviceAuthorization(ctx context.Context, deviceCodeHash []byte,
	fn func(*keypad.DeviceAuthorization) error,
) (*keypad.DeviceAuthorization, error) {
	const what = "update device authorization"
	write := func(ctx context.Context, tx *sql.Tx, d *keypad.DeviceAuthorization) error {
		d.DeviceCodeHash = deviceCodeHash
		res, err := tx.ExecContext(ctx, `UPDATE device_authorizations SET user_code_hash = $2,
			client_id = $3, scopes = $4, status = $5, subject = $6, grant_id = $7, poll_interval = $8,
			last_polled_at = $9, created_at = $10, expires_at = $11, resources = $12 WHERE device_code_hash = $1`,
			d.DeviceCodeHash, d.UserCodeHash, d.ClientID, dbJSON(d.Scopes), string(d.Status),
			d.Subject, d.GrantID, int64(d.Interval), dbTime(d.LastPolledAt), dbTime(d.CreatedAt), dbTime(d.ExpiresAt), dbJSON(d.Resources))
		return mustAffect(what, res, err)
	}
	return readModifyWrite(ctx, s, what,
		`SELECT `+deviceCols+` FROM device_authorizations WHERE device_code_hash = $1`,
		deviceCodeHash, scanDevice, fn, write)
}
