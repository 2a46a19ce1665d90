package kiosk

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// apiError is an error answer from the energy API.
type apiError struct {
	Status int
	Code   string
}

func (e *apiError) Error() string { return fmt.Sprintf("energy API answered %d %s", e.Status, e.Code) }

// usageAnswer is the energy API's monthly summary document.
type usageAnswer struct {
	Tariff struct {
		Currency    string  `json:"currency"`
		PricePerKWh float64 `json:"price_per_kwh"`
	} `json:"tariff"`
	Months []struct {
		Start time.Time `json:"start"`
		KWh   float64   `json:"kwh"`
		Cost  float64   `json:"cost"`
	} `json:"months"`
}

// energyClient reads the person's usage with the access token.
type energyClient struct {
	base   string
	client *http.Client
}

// monthly finds the token subject's usage point and returns its monthly
// summaries; nil (and no error) when the person has no usage point.
func (c *energyClient) monthly(ctx context.Context, tok string) (*usageAnswer, error) {
	var points struct {
		UsagePoints []struct {
			ID string `json:"id"`
		} `json:"usage_points"`
	}
	if err := c.get(ctx, "/api/usage-points", tok, &points); err != nil {
		return nil, err
	}
	if len(points.UsagePoints) == 0 {
		return nil, nil
	}
	var u usageAnswer
	path := "/api/usage-points/" + url.PathEscape(points.UsagePoints[0].ID) + "/monthly"
	if err := c.get(ctx, path, tok, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

func (c *energyClient) get(ctx context.Context, path, tok string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return fmt.Errorf("energy API %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("energy API %s: %w: %v", path, errUnreachable, err)
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, maxBody)
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		json.NewDecoder(body).Decode(&e)
		return &apiError{Status: resp.StatusCode, Code: e.Error}
	}
	if err := json.NewDecoder(body).Decode(into); err != nil {
		return &apiError{Status: resp.StatusCode, Code: "bad_json"}
	}
	return nil
}
